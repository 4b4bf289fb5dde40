/**
 * The start-up line's account of the effective configuration: what is served where, from which store, with which
 * TLS, graph and observability settings. Built field by field from the plan, so no secret is ever copied into it
 * (passwords appear as [REDACTED] when set; the logger's scrubber is the second line of defence).
 */
import { REDACTED } from '../logger';
import { PACKAGE_VERSION } from '../package-info';
import type { GraphConfig } from '../graph/config';
import { describeServer } from '../storage/mysql/config';
import { unknownBackend } from '../storage/open';
import type { AccessPlan } from './access-config';
import type { Backend, ServerPlan } from './config';

export interface Listening {
  grpcPort: number;
  httpPort?: number;
  metricsPort?: number;
}

const redacted = (v: string | undefined): string | undefined => (v ? REDACTED : undefined);

/** A URI with any password in its user-info replaced. */
export function redactUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]*@/i, `$1${REDACTED}@`);
}

function backendSummary(b: Backend): Record<string, unknown> {
  switch (b.kind) {
    case 'postgresql': {
      const c = b.config;
      return defined({
        kind: 'postgresql',
        host: c.host,
        hostaddr: c.hostaddr,
        port: c.port,
        dbname: c.dbname,
        user: c.user,
        password: redacted(c.password),
        passfile: c.passfile,
        sslmode: c.ssloption?.sslmode,
        skip_db_creation: c.skipDbCreation,
      });
    }
    case 'mysql': {
      const c = b.config;
      return defined({
        kind: 'mysql',
        host: c.host,
        port: c.port === undefined ? undefined : Number(c.port),
        socket: c.socket,
        database: c.database,
        user: c.user,
        password: redacted(c.password),
        ssl: c.sslOptions
          ? defined({
              ca: c.sslOptions.ca,
              capath: c.sslOptions.capath,
              cert: c.sslOptions.cert,
              key: c.sslOptions.key,
            })
          : undefined,
        skip_db_creation: c.skipDbCreation,
      });
    }
    case 'sqlite':
      return {
        kind: 'sqlite',
        file: b.filenameUri === ':memory:' ? ':memory: (lives as long as the process)' : b.filenameUri,
        mode: b.readonly ? 'readonly' : b.mustExist ? 'readwrite' : 'readwrite_opencreate',
      };
    default:
      return unknownBackend(b);
  }
}

/** One line of text for the message, e.g. `sqlite ./mlmd.db`. */
export function describeBackend(b: Backend): string {
  switch (b.kind) {
    case 'postgresql':
      return `postgresql ${b.config.host ?? b.config.hostaddr}/${b.config.dbname}`;
    case 'mysql':
      return `mysql ${describeServer(b.config)}`;
    case 'sqlite':
      return b.filenameUri === ':memory:'
        ? 'sqlite in-memory (lives as long as the process)'
        : `sqlite ${b.filenameUri}`;
    default:
      return unknownBackend(b);
  }
}

export function tlsMode(plan: ServerPlan): 'plaintext' | 'TLS' | 'mTLS' {
  if (!plan.tls) return 'plaintext';
  return plan.tls.clientVerify ? 'mTLS' : 'TLS';
}

/** The object without its undefined fields (what is not set is not stated). */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Whether a bind address is reachable from this host only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function accessSummary(a: AccessPlan): Record<string, unknown> {
  return defined({
    policy_file: a.policyFile,
    oidc: a.oidc ? defined({ issuer: a.oidc.issuer, audience: a.oidc.audience }) : undefined,
    api_tokens_file: a.apiTokensFile,
    client_certificates: a.clientCertificates,
    trusted_proxy: a.trustedProxy
      ? defined({
          header: a.trustedProxy.header,
          prefix: a.trustedProxy.prefix,
          addresses: a.trustedProxy.addresses.length > 0 ? a.trustedProxy.addresses : 'any',
        })
      : undefined,
    auth_failures_per_minute: a.failuresPerMinute,
  });
}

export function startupSummary(
  plan: ServerPlan,
  listening: Listening,
  graph: GraphConfig | undefined,
): Record<string, unknown> {
  return {
    version: PACKAGE_VERSION,
    node: process.version,
    grpc: { host: plan.host, port: listening.grpcPort, tls: tlsMode(plan) },
    http: listening.httpPort === undefined ? 'off' : { host: plan.host, port: listening.httpPort, tls: tlsMode(plan) },
    metrics:
      listening.metricsPort === undefined ? 'off' : { host: plan.host, port: listening.metricsPort, path: '/metrics' },
    cmf_server:
      listening.httpPort === undefined
        ? 'off'
        : { data_dir: plan.cmfServer.dataDir, max_upload_bytes: plan.cmfServer.maxUploadBytes },
    backend: backendSummary(plan.backend),
    tenants: plan.tenants
      ? defined({
          names: plan.tenants.names,
          sqlite_dir: plan.backend.kind === 'sqlite' ? plan.tenants.sqliteDir : undefined,
          max_open: plan.tenants.maxOpen,
        })
      : 'off',
    migration: { enable_upgrade: plan.migration.enableUpgradeMigration },
    graph: graph
      ? defined({
          uri: redactUri(graph.uri),
          user: graph.user,
          password: redacted(graph.password),
          database: graph.database,
        })
      : 'off',
    max_message_bytes: plan.maxMessageBytes,
    channel_arguments: Object.keys(plan.channelOptions).length > 0 ? plan.channelOptions : undefined,
    log: { level: plan.logLevel, access_log: plan.accessLog },
    access: plan.access
      ? accessSummary(plan.access)
      : isLoopback(plan.host)
        ? 'off'
        : 'off (open to anyone who reaches the ports)',
  };
}

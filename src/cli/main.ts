#!/usr/bin/env node
/**
 * The server binary: `cmf-mlmd [flags]`, a drop-in for ml-metadata's metadata_store_server.
 *
 * Logs are JSON lines on stderr (src/logger.ts); stdout carries only --help and --version. Every failure to start
 * is one log line saying what to fix. Exit codes: 0 after a graceful shutdown or a successful downgrade; 1 for a
 * configuration that cannot be served, a store that cannot be opened or a port that cannot be bound; 2 for a
 * command-line mistake; 128+N when a second signal N cut the shutdown short.
 */
import * as path from 'node:path';
import type { AccessControl } from '../access/access-control';
import { Code, MlmdError } from '../errors';
import type { GraphConfig } from '../graph/config';
import { createLogger, logger, setLogger, type Logger } from '../logger';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../package-info';
import { accessLog } from '../server/access-log';
import { cmfServiceRegistration } from '../server/cmf-service';
import { lifecycleRoute } from '../server/lifecycle-rest';
import { lifecycleServiceRegistration } from '../server/lifecycle-service';
import type { Metrics } from '../server/metrics';
import { combineObservers, type CallObserver } from '../server/observe';
import { ListenError, sendGrpcLogsTo, startServer, type ServerHandle } from '../server/server';
import type { HttpListener } from '../server/http';
import { TlsConfigError } from '../server/tls';
import { uiFiles } from '../server/ui-files';
import { AccessConfigError, loadAccess, type LoadedAccess } from './access-config';
import { type Backend, buildServerPlan, ConfigError, knownTenants, type ServerPlan } from './config';
import { type Flags, parseFlags, usage, UsageError } from './flags';
import { runResync, startGraphIfConfigured } from './graph';
import { openStore } from './open-store';
import { cmfServerHttp } from './cmf-server';
import { runDeleteCommand } from './delete-command';
import { openTenantStore, serveStore, type TenantStore } from './tenant-stores';
import { Tenants } from '../server/tenants';
import { DEFAULT_TENANT } from '../storage/tenants';
import { collectSecrets } from './secrets';
import { describeBackend, isLoopback, startupSummary, tlsMode } from './startup-summary';
import { watchForStop } from './stop-signals';
import { runTokenCommand } from './token-command';

/** Upstream's downgrade is a one-shot tool: migrate down, then stop. The store reports success as CANCELLED. */
async function runDowngrade(plan: ServerPlan, log: Logger): Promise<number> {
  try {
    const db = await openStore(plan.backend, plan.migration, plan.connectionRetries);
    await db.close();
  } catch (e) {
    if (!(e instanceof MlmdError && e.code === Code.CANCELLED)) throw e;
    log.info(e.message);
  }
  log.info(`downgrade to schema version ${plan.migration.downgradeToSchemaVersion} done; exiting`);
  return 0;
}

/** The graph worker reports in plain lines; failures among them deserve a warning level. */
const graphLog =
  (log: Logger) =>
  (line: string): void =>
    /fail|unexpected|error/i.test(line)
      ? log.warn({ component: 'graph' }, line)
      : log.info({ component: 'graph' }, line);

interface Serving {
  handle: ServerHandle;
  graph?: GraphConfig;
}

async function serve(
  plan: ServerPlan,
  flags: Flags,
  log: Logger,
  secrets: readonly string[],
  metrics: Metrics | undefined,
  access: AccessControl | undefined,
): Promise<Serving> {
  const db = await openStore(plan.backend, plan.migration, plan.connectionRetries, metrics);
  // The Neo4j projection (off unless --neo4j_uri / NEO4J_URI): the domains get a store whose writes feed its outbox.
  let graph: Awaited<ReturnType<typeof startGraphIfConfigured>>;
  try {
    graph = await startGraphIfConfigured(flags, db, plan.backend, graphLog(log));
  } catch (e) {
    await db.close();
    throw e;
  }
  if (graph && metrics) {
    const g = graph;
    metrics.watchGraph(() => {
      const s = g.status();
      return { rows: s.lag.rows, oldestAgeMs: s.lag.oldestAgeMs, failures: s.failures };
    });
  }
  const observers: CallObserver[] = [];
  if (metrics) observers.push(metrics);
  if (plan.accessLog) observers.push(accessLog(createLogger({ level: 'info', secrets, redactFields: false })));
  const ui = plan.httpPort === undefined ? undefined : uiFiles(path.join(PACKAGE_ROOT, 'dist', 'ui'));
  if (ui && !ui.built) log.warn('the web UI is not built (dist/ui); run `npm install` or `npm run build:ui`');
  const onHttpError = (route: string, e: unknown): void =>
    void log.error({ route, error: (e as Error).stack ?? String(e) }, `${route} failed`);
  const cmfHttp =
    plan.httpPort === undefined ? undefined : cmfServerHttp(plan, (e) => onHttpError('cmf-server', e), access);
  let tenants: Tenants<TenantStore> | undefined;
  try {
    // The default tenant is the configured store (with the Neo4j projection, when on); other tenants open on use.
    const defaultStore = await serveStore(plan, cmfHttp, DEFAULT_TENANT, graph?.db ?? db, async () => {
      await graph?.stop();
      await db.close();
    });
    tenants = new Tenants<TenantStore>({
      names: knownTenants(plan),
      pinned: [DEFAULT_TENANT],
      maxOpen: plan.tenants?.maxOpen ?? 1,
      open: async (name) => (name === DEFAULT_TENANT ? defaultStore : openTenantStore(plan, cmfHttp, name, metrics)),
      onError: (e) => log.error({ error: (e as Error).stack ?? String(e) }, 'closing a tenant store failed'),
    });
    await tenants.openPinned();
    const t = tenants;
    const handle = await startServer({
      api: t.scope((s) => s.mlmd),
      extraServices: [
        cmfServiceRegistration(t.scope((s) => s.cmf)),
        lifecycleServiceRegistration(t.scope((s) => s.lifecycle)),
      ],
      extraHealth: graph ? [graph.health] : [],
      host: plan.host,
      port: plan.port,
      tls: plan.tls,
      channelOptions: plan.channelOptions,
      maxMessageBytes: plan.maxMessageBytes,
      observer: combineObservers(observers),
      access,
      http:
        plan.httpPort === undefined
          ? undefined
          : {
              port: plan.httpPort,
              // The lifecycle routes (/api/lifecycle/...) and the cmf-server API (/api/... and its POST aliases) claim
              // their paths before the UI's files.
              routes: [
                lifecycleRoute((e) => onHttpError('lifecycle', e), access),
                ...(cmfHttp ? [cmfHttp.route(t.scope((s) => s.cmfServer!))] : []),
                ui!.route,
              ],
              corsAllowedOrigins: plan.corsAllowedOrigins,
              onError: onHttpError,
            },
      onShutdown: () => t.close(),
    });
    if (handle.httpPort !== undefined) cmfHttp?.setHttpPort(handle.httpPort);
    return { handle, graph: graph?.config };
  } catch (e) {
    if (tenants) await tenants.close();
    else {
      await graph?.stop();
      await db.close();
    }
    throw e;
  }
}

/** The flag that moves a listener that could not bind. */
const PORT_FLAG: Record<string, string> = { gRPC: '--grpc_port', HTTP: '--http_port', metrics: '--metrics_port' };

/** What to check when the store cannot be reached. */
const CONNECTION_HINT: Record<Backend['kind'], string> = {
  sqlite: '',
  postgresql: '; check the PostgreSQL host, port, user, password and dbname (--postgres_config_* or the config file)',
  mysql: '; check the MySQL host (or socket), port, user, password and database (--mysql_config_* or the config file)',
};

/** One line that says what went wrong and what to change. */
function startFailure(e: unknown, plan: ServerPlan): string {
  if (e instanceof ListenError) {
    const flag = PORT_FLAG[e.listener] ?? 'the port flags';
    return `${e.message}; stop whatever holds it or choose another port with ${flag}`;
  }
  if (e instanceof ConfigError || e instanceof TlsConfigError || e instanceof AccessConfigError) return e.message;
  if (e instanceof MlmdError) {
    // openStore retries only what answers ABORTED (a database that is unreachable or still starting up).
    const retried =
      e.code === Code.ABORTED && plan.connectionRetries > 0 ? ` (tried ${plan.connectionRetries + 1} times)` : '';
    const hint = /connect/i.test(e.message) ? CONNECTION_HINT[plan.backend.kind] : '';
    return `cannot open the metadata store${retried}: ${e.message}${hint}`;
  }
  return `cannot start: ${(e as Error).message}`;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The operators' subcommands; everything else is the server.
  if (argv[0] === 'delete') return runDeleteCommand(argv.slice(1), env, (text) => process.stdout.write(`${text}\n`));
  if (argv[0] === 'token') {
    return runTokenCommand(
      argv.slice(1),
      (text) => process.stdout.write(text),
      (text) => process.stderr.write(`${text}\n`),
    );
  }
  let flags: Flags | undefined;
  let plan: ServerPlan;
  try {
    flags = parseFlags(argv);
    if (flags.help) {
      process.stdout.write(`${usage()}\n`);
      return 0;
    }
    if (flags.version) {
      process.stdout.write(`cmf-mlmd ${PACKAGE_VERSION}\n`);
      return 0;
    }
    plan = buildServerPlan(flags);
  } catch (e) {
    // Not configured yet: a default logger that still keeps every secret it can see out of the line.
    const early = createLogger({ secrets: collectSecrets(flags, undefined, env) });
    if (e instanceof UsageError) {
      early.fatal(`${e.message}; cmf-mlmd --help lists the flags`);
      return 2;
    }
    if (e instanceof ConfigError) {
      early.fatal(e.message);
      return 1;
    }
    throw e;
  }
  const secrets = collectSecrets(flags, plan, env);
  const log = createLogger({ level: plan.logLevel, secrets });
  setLogger(log);
  sendGrpcLogsTo(log);
  for (const w of plan.warnings) log.warn(w);

  if (plan.migration.downgradeToSchemaVersion >= 0 || flags.neo4j_resync) {
    try {
      if (plan.migration.downgradeToSchemaVersion >= 0) return await runDowngrade(plan, log);
      const db = await openStore(plan.backend, plan.migration, plan.connectionRetries);
      try {
        return await runResync(flags, db, (line) => log.info(line));
      } finally {
        await db.close();
      }
    } catch (e) {
      log.fatal(startFailure(e, plan));
      return 1;
    }
  }

  // The policy and token files are read before anything listens: a server that cannot enforce them does not start.
  let access: LoadedAccess | undefined;
  try {
    access = plan.access && (await loadAccess(plan.access, log, knownTenants(plan)));
  } catch (e) {
    log.fatal(startFailure(e, plan));
    return 1;
  }
  // Only with access control: SIGHUP's default is to end the process, which is what it does without.
  const reload = (): void => access?.reload();
  if (access) process.on('SIGHUP', reload);

  // Signals are watched from the start: one arriving while the store opens stops the server as soon as it is up.
  const stop = watchForStop({ log, env });
  let metrics: Metrics | undefined;
  let metricsListener: HttpListener | undefined;
  let serving: Serving;
  try {
    // prom-client is loaded only when metrics are on.
    if (plan.metricsPort !== undefined) metrics = new (await import('../server/metrics')).Metrics();
    metricsListener = await metrics?.serve(plan.host, plan.metricsPort!);
    serving = await serve(plan, flags, log, secrets, metrics, access?.control);
  } catch (e) {
    await metricsListener?.close(0);
    stop.dispose();
    process.off('SIGHUP', reload);
    log.fatal(startFailure(e, plan));
    return 1;
  }
  const { handle } = serving;
  const listening = { grpcPort: handle.port, httpPort: handle.httpPort, metricsPort: metricsListener?.port };
  const http = handle.httpPort === undefined ? 'no HTTP listener' : `HTTP on ${plan.host}:${handle.httpPort}`;
  const scrape = metricsListener === undefined ? '' : `; metrics on ${plan.host}:${metricsListener.port}/metrics`;
  if (!plan.access && !isLoopback(plan.host)) {
    log.warn(
      `access control is off and ${plan.host} is not a loopback address: anyone who reaches these ports may read and write everything (see --access_policy_file)`,
    );
  }
  log.info(
    { config: startupSummary(plan, listening, serving.graph) },
    `listening on ${plan.host}:${handle.port} (${tlsMode(plan)}, ${describeBackend(plan.backend)}); ${http}${scrape}`,
  );

  await stop.requested;
  try {
    await handle.shutdown();
    await metricsListener?.close(1000);
  } catch (e) {
    log.error({ error: (e as Error).stack ?? String(e) }, `shutdown failed: ${(e as Error).message}`);
    return 1;
  } finally {
    stop.dispose();
    process.off('SIGHUP', reload);
  }
  log.info('stopped: listeners closed, running calls done, metadata store closed');
  return 0;
}

if (require.main === module) {
  const fatal = (what: string) => (e: unknown) => {
    // The configured logger when there is one: its scrubber keeps secrets out of stack traces too.
    logger().fatal({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, what);
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
  main(process.argv.slice(2)).then((code) => process.exit(code), fatal('fatal'));
}

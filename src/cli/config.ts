/**
 * Turns flags (and the config file they name) into a plan for the server: which backend, which migration, TLS,
 * port and channel arguments. Pure apart from reading the config file, so every rule here is unit-testable.
 *
 * Backend choice follows upstream's --metadata_source_config_type, with these deliberate differences:
 * - No configuration at all serves the embedded SQLite file ./mlmd.db (our --db default). Upstream falls back to
 *   an in-memory fake database that is re-created for every request, which stores nothing (issue #79).
 * - `fake_database` in a config file is an in-memory SQLite database that lives as long as the process.
 * - A config file that is named but missing or unparsable is an error in every mode; upstream silently ignores it
 *   in default mode, which would quietly serve a different database than the operator meant.
 * - In default mode, as upstream, --mysql_config_host/_port/_database select MySQL (Kubeflow's command line). Any
 *   other --mysql_config_* or --postgres_config_* flag that would not be used is an error naming the missing flag:
 *   upstream (and we, until now) ignored them and served a scratch database, losing the data at the next restart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MySQLDatabaseConfig, PostgreSQLDatabaseConfig } from '../../generated/ml_metadata/proto/metadata_store';
import {
  type MetadataStoreServerConfig,
  SqliteMetadataSourceConfig_ConnectionMode as ConnectionMode,
} from '../../generated/ml_metadata/proto/metadata_store';
import { LOG_LEVELS, type LogLevel } from '../logger';
import { parseAllowedOrigins } from '../server/cors';
import type { SslConfig } from '../server/tls';
import { accessPlanOf, AccessConfigError, type AccessPlan } from './access-config';
import { parseServerConfig, type ServerConfigFile, type TenantsSection } from './config-file';
import { DEFAULT_TENANT, tenantBackend, tenantNameProblem } from '../storage/tenants';
import { parseChannelArguments, type Flags, UsageError } from './flags';

export const DEFAULT_PORT = 8080;
/** The HTTP listener (gRPC-Web, cmf-server API, web UI): next to upstream's gRPC default. */
export const DEFAULT_HTTP_PORT = 8081;
export const DEFAULT_SQLITE_FILE = './mlmd.db';
/** The cmf-server API's data directory (cmf-server hard-codes /cmf-server/data). */
export const DEFAULT_CMF_DATA_DIR = './cmf-data';
export const DEFAULT_CMF_MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
export const DEFAULT_CONNECTION_RETRIES = 5;
/** Tenant stores open at once (each SQLite tenant holds a connection and reader threads, each shared one a pool). */
export const DEFAULT_MAX_OPEN_TENANTS = 16;

export type Backend =
  | { kind: 'sqlite'; filenameUri: string; readonly?: boolean; mustExist?: boolean }
  | { kind: 'postgresql'; config: PostgreSQLDatabaseConfig }
  | { kind: 'mysql'; config: MySQLDatabaseConfig };

export interface Migration {
  enableUpgradeMigration: boolean;
  /** -1: no downgrade. Otherwise the server downgrades to this version and exits. */
  downgradeToSchemaVersion: number;
}

/** Tenants beside `default` (the configured store): where their stores and data directories are. */
export interface TenantsPlan {
  /** Declared tenants, `default` first. */
  names: string[];
  /** SQLite: the directory of the tenants' files. */
  sqliteDir: string;
  /** Tenant stores kept open at once. */
  maxOpen: number;
}

export interface ServerPlan {
  host: string;
  port: number;
  /** The HTTP listener's port (0: any free port); undefined: no HTTP listener. */
  httpPort?: number;
  /** The cmf-server API (on the HTTP listener): its data directory and upload limit. */
  cmfServer: { dataDir: string; maxUploadBytes: number };
  /** Origins whose pages may call gRPC-Web across origins (`*`: any); empty: same-origin only. */
  corsAllowedOrigins: string[];
  backend: Backend;
  /** Undefined: no tenants, one store (as before tenants existed). */
  tenants?: TenantsPlan;
  migration: Migration;
  tls?: SslConfig;
  channelOptions: Record<string, string | number>;
  maxMessageBytes?: number;
  connectionRetries: number;
  /** The Prometheus metrics listener's port (0: any free port); undefined: no metrics listener. */
  metricsPort?: number;
  logLevel: LogLevel;
  /** One log line per call. */
  accessLog: boolean;
  /** Access control (identities, policy); undefined: off, every method open. */
  access?: AccessPlan;
  /** Things worth telling the operator that do not stop the start. */
  warnings: string[];
}

/** A configuration that cannot be served: the CLI prints it and exits 1. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const SOURCE_TYPES = ['default', 'config_file', 'mysql', 'postgresql'] as const;

export type ReadFile = (path: string) => string;
const readUtf8: ReadFile = (path) => fs.readFileSync(path, 'utf8');

function loadConfigFile(path: string, readFile: ReadFile): ServerConfigFile {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    return parseServerConfig(text);
  } catch (e) {
    throw new ConfigError(`cannot parse config file ${path}: ${(e as Error).message}`);
  }
}

/** The backend a config file's connection_config describes. */
function backendFromConfig(config: MetadataStoreServerConfig): Backend {
  const c = config.connectionConfig?.config;
  switch (c?.$case) {
    case undefined:
      throw new ConfigError('the config file has no connection_config (fake_database, sqlite, mysql or postgresql)');
    case 'fakeDatabase':
      return { kind: 'sqlite', filenameUri: ':memory:' };
    case 'mysql':
      checkMysqlConfig(c.value, 'connection_config.mysql.');
      return { kind: 'mysql', config: c.value };
    case 'postgresql':
      return { kind: 'postgresql', config: c.value };
    case 'sqlite': {
      // Empty filename_uri is MLMD's in-memory database; mode 0/unset means READWRITE_OPENCREATE.
      const filenameUri = c.value.filenameUri || ':memory:';
      switch (c.value.connectionMode ?? ConnectionMode.UNKNOWN) {
        case ConnectionMode.READONLY:
          return { kind: 'sqlite', filenameUri, readonly: true, mustExist: true };
        case ConnectionMode.READWRITE:
          return { kind: 'sqlite', filenameUri, mustExist: true };
        default:
          return { kind: 'sqlite', filenameUri };
      }
    }
  }
}

/** Upstream's validation of the --postgres_config_* flags. */
function postgresFromFlags(flags: Flags): PostgreSQLDatabaseConfig {
  const host = flags.postgres_config_host ?? '';
  const hostaddr = flags.postgres_config_hostaddr ?? '';
  if ((host === '') === (hostaddr === '')) {
    throw new ConfigError('exactly one of --postgres_config_host and --postgres_config_hostaddr is required');
  }
  for (const name of ['postgres_config_port', 'postgres_config_dbname', 'postgres_config_user'] as const) {
    if (!flags[name]) throw new ConfigError(`--${name} is required with --metadata_source_config_type=postgresql`);
  }
  const ssl = {
    sslmode: flags.postgres_config_sslmode,
    sslcert: flags.postgres_config_sslcert,
    sslkey: flags.postgres_config_sslkey,
    sslpassword: flags.postgres_config_sslpassword,
    sslrootcert: flags.postgres_config_sslrootcert,
  };
  return {
    host: host || undefined,
    hostaddr: hostaddr || undefined,
    port: flags.postgres_config_port,
    user: flags.postgres_config_user,
    password: flags.postgres_config_password,
    passfile: flags.postgres_config_passfile,
    dbname: flags.postgres_config_dbname,
    skipDbCreation: flags.postgres_config_skip_db_creation,
    ssloption: Object.values(ssl).some((v) => v !== undefined) ? ssl : undefined,
  };
}

/** Upstream's check of a MySQLDatabaseConfig: exactly one of host and socket, and a database. */
function checkMysqlConfig(c: MySQLDatabaseConfig, prefix: string): void {
  if (!c.host === !c.socket) throw new ConfigError(`exactly one of ${prefix}host and ${prefix}socket is required`);
  if (!c.database) throw new ConfigError(`${prefix}database is required`);
}

/** Upstream's flags that select MySQL in default mode (and our socket, which replaces the host). */
const MYSQL_SELECTORS = [
  'mysql_config_host',
  'mysql_config_port',
  'mysql_config_database',
  'mysql_config_socket',
] as const;

/** The --mysql_config_* flags as a MySQLDatabaseConfig; every missing flag is named. */
function mysqlFromFlags(flags: Flags): MySQLDatabaseConfig {
  const missing: string[] = [];
  if (!flags.mysql_config_host === !flags.mysql_config_socket) {
    missing.push('exactly one of --mysql_config_host and --mysql_config_socket');
  }
  if (!flags.mysql_config_socket && !(flags.mysql_config_port && flags.mysql_config_port > 0)) {
    missing.push('--mysql_config_port');
  }
  if (!flags.mysql_config_database) missing.push('--mysql_config_database');
  if (missing.length > 0) throw new ConfigError(`to use MySQL, ${missing.join(' and ')} must be given`);
  const ssl = {
    key: flags.mysql_config_ssl_key,
    cert: flags.mysql_config_ssl_cert,
    ca: flags.mysql_config_ssl_ca,
    capath: flags.mysql_config_ssl_capath,
    cipher: flags.mysql_config_ssl_cipher,
    verifyServerCert: flags.mysql_config_ssl_verify_server_cert,
  };
  return {
    host: flags.mysql_config_host || undefined,
    port: flags.mysql_config_port ? BigInt(flags.mysql_config_port) : undefined,
    socket: flags.mysql_config_socket || undefined,
    database: flags.mysql_config_database,
    user: flags.mysql_config_user,
    password: flags.mysql_config_password,
    skipDbCreation: flags.mysql_config_skip_db_creation,
    sslOptions: Object.values(ssl).some((v) => v !== undefined) ? ssl : undefined,
  };
}

/** --metrics_port: off unless given (-1 also means off); it must not collide with the other listeners. */
function metricsPortOf(flags: Flags, grpcPort: number, httpPort: number): number | undefined {
  const p = flags.metrics_port;
  if (p === undefined || p === -1) return undefined;
  if (p < 0 || p > 65535) {
    throw new ConfigError(`--metrics_port must be between 0 and 65535, or -1 for no metrics listener; got ${p}`);
  }
  if (p !== 0 && (p === grpcPort || p === httpPort)) {
    throw new ConfigError(`--metrics_port must differ from --grpc_port and --http_port; ${p} is taken`);
  }
  return p;
}

/** The tenants a server with this plan serves (`default` alone without tenants): the names a policy may use. */
export function knownTenants(plan: Pick<ServerPlan, 'tenants'>): string[] {
  return plan.tenants?.names ?? [DEFAULT_TENANT];
}

/**
 * The tenants of --tenants and the config file's `tenants { name: … }` together (`default`, the configured store, is
 * always one); undefined when none is declared. Every name is checked, and where each store would be.
 */
function tenantsPlan(flags: Flags, section: TenantsSection | undefined, backend: Backend): TenantsPlan | undefined {
  const fromFlag = (flags.tenants ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const declared = [...fromFlag, ...(section?.names ?? [])];
  if (declared.length === 0) {
    for (const f of ['tenants_dir', 'max_open_tenants'] as const)
      if (flags[f] !== undefined) throw new ConfigError(`--${f} needs tenants (--tenants or tenants { name: … })`);
    return undefined;
  }
  for (const name of declared) {
    const problem = tenantNameProblem(name);
    if (problem) throw new ConfigError(`tenant ${JSON.stringify(name)}: ${problem}`);
  }
  const maxOpen = flags.max_open_tenants ?? section?.maxOpen ?? DEFAULT_MAX_OPEN_TENANTS;
  if (maxOpen < 1) throw new ConfigError(`--max_open_tenants must be at least 1; got ${maxOpen}`);
  const base = backend.kind === 'sqlite' ? backend.filenameUri : '';
  const sqliteDir = flags.tenants_dir ?? section?.sqliteDir ?? path.join(path.dirname(base), 'tenants');
  if (sqliteDir === '') throw new ConfigError('--tenants_dir must not be empty');
  const names = [...new Set([DEFAULT_TENANT, ...declared])];
  for (const name of names) {
    try {
      tenantBackend(backend, name, sqliteDir);
    } catch (e) {
      throw new ConfigError(`tenant ${name}: ${(e as Error).message}`);
    }
  }
  return { names, sqliteDir, maxOpen };
}

export function buildServerPlan(flags: Flags, readFile: ReadFile = readUtf8): ServerPlan {
  const warnings: string[] = [];
  const sourceType = flags.metadata_source_config_type ?? 'default';
  if (!(SOURCE_TYPES as readonly string[]).includes(sourceType)) {
    throw new UsageError(
      `--metadata_source_config_type must be one of ${SOURCE_TYPES.join(', ')}; got "${sourceType}"`,
    );
  }
  const port = flags.grpc_port ?? DEFAULT_PORT;
  if (port <= 0 || port > 65535) throw new ConfigError(`--grpc_port must be between 1 and 65535; got ${port}`);
  const httpPort = flags.http_port ?? DEFAULT_HTTP_PORT;
  if (httpPort < -1 || httpPort > 65535) {
    throw new ConfigError(`--http_port must be between 0 and 65535, or -1 for no HTTP listener; got ${httpPort}`);
  }
  if (httpPort === port) throw new ConfigError(`--http_port and --grpc_port must differ; both are ${port}`);
  const metricsPort = metricsPortOf(flags, port, httpPort);
  const logLevel = flags.log_level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log_level must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}"`);
  }
  let corsAllowedOrigins: string[];
  try {
    corsAllowedOrigins = parseAllowedOrigins(flags.cors_allowed_origins ?? '');
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (corsAllowedOrigins.length > 0 && httpPort === -1) {
    warnings.push('--cors_allowed_origins has no effect with --http_port=-1 (no HTTP listener)');
  }

  const flagNames = Object.keys(flags);
  const mysqlFlags = flagNames.filter((n) => n.startsWith('mysql_config_'));
  const postgresFlags = flagNames.filter((n) => n.startsWith('postgres_config_'));

  const flagMigration: Migration = {
    enableUpgradeMigration: flags.enable_database_upgrade ?? false,
    downgradeToSchemaVersion: flags.downgrade_db_schema_version ?? -1,
  };
  if (flagMigration.enableUpgradeMigration && flagMigration.downgradeToSchemaVersion >= 0) {
    throw new ConfigError('--enable_database_upgrade and --downgrade_db_schema_version cannot be used together');
  }
  const migrationFlagsGiven = 'enable_database_upgrade' in flags || 'downgrade_db_schema_version' in flags;

  const configPath = flags.metadata_store_server_config_file ?? '';
  if (flags.db !== undefined && (configPath !== '' || sourceType !== 'default')) {
    throw new ConfigError('--db cannot be combined with a config file or --metadata_source_config_type');
  }
  if (flags.db !== undefined && mysqlFlags.length + postgresFlags.length > 0) {
    throw new ConfigError('--db (SQLite) cannot be combined with --mysql_config_* or --postgres_config_* flags');
  }

  let backend: Backend;
  let migration = flagMigration;
  let tls: SslConfig | undefined;
  let tenantsSection: TenantsSection | undefined;
  if (sourceType === 'config_file' || (sourceType === 'default' && configPath !== '')) {
    if (configPath === '')
      throw new ConfigError('--metadata_source_config_type=config_file needs --metadata_store_server_config_file');
    const file = loadConfigFile(configPath, readFile);
    const config = file.mlmd;
    tenantsSection = file.tenants;
    backend = backendFromConfig(config);
    // As upstream: a config file brings its own migration_options and the migration flags do not apply.
    if (migrationFlagsGiven)
      warnings.push('migration flags are ignored when a config file is used; set migration_options in it');
    const m = config.migrationOptions;
    migration = {
      enableUpgradeMigration: m?.enableUpgradeMigration ?? false,
      downgradeToSchemaVersion: Number(m?.downgradeToSchemaVersion ?? -1n),
    };
    if (migration.enableUpgradeMigration && migration.downgradeToSchemaVersion >= 0) {
      throw new ConfigError(
        'migration_options: enable_upgrade_migration and downgrade_to_schema_version cannot be used together',
      );
    }
    tls = config.sslConfig;
    const unused = [...mysqlFlags, ...postgresFlags];
    if (unused.length > 0) warnings.push(`${unused.map((n) => `--${n}`).join(', ')} ignored: the config file decides`);
  } else if (sourceType === 'postgresql') {
    backend = { kind: 'postgresql', config: postgresFromFlags(flags) };
    if (mysqlFlags.length > 0) warnings.push(`${mysqlFlags.map((n) => `--${n}`).join(', ')} ignored (PostgreSQL)`);
  } else if (sourceType === 'mysql' || MYSQL_SELECTORS.some((n) => flags[n] !== undefined)) {
    // Default mode with upstream's MySQL flags serves MySQL, as upstream does (Kubeflow's command line).
    backend = { kind: 'mysql', config: mysqlFromFlags(flags) };
    if (postgresFlags.length > 0) {
      throw new ConfigError(
        `both --mysql_config_* and ${postgresFlags.map((n) => `--${n}`).join(', ')} are given; keep one backend`,
      );
    }
  } else {
    // Flags for a database that would not be used: refuse rather than serve a scratch file the operator did not mean.
    if (postgresFlags.length > 0) {
      throw new ConfigError(
        `${postgresFlags.map((n) => `--${n}`).join(', ')} given without --metadata_source_config_type=postgresql`,
      );
    }
    if (mysqlFlags.length > 0) {
      throw new ConfigError(
        `${mysqlFlags.map((n) => `--${n}`).join(', ')} given without --mysql_config_host (or --mysql_config_socket), ` +
          `--mysql_config_port and --mysql_config_database`,
      );
    }
    backend = { kind: 'sqlite', filenameUri: flags.db ?? DEFAULT_SQLITE_FILE };
  }

  const maxUploadBytes = flags.cmf_max_upload_bytes ?? DEFAULT_CMF_MAX_UPLOAD_BYTES;
  if (maxUploadBytes <= 0) throw new ConfigError(`--cmf_max_upload_bytes must be positive; got ${maxUploadBytes}`);
  if (flags.cmf_data_dir === '') throw new ConfigError('--cmf_data_dir must not be empty');

  const tenants = tenantsPlan(flags, tenantsSection, backend);

  let access: AccessPlan | undefined;
  try {
    access = accessPlanOf(flags, tls);
  } catch (e) {
    if (e instanceof AccessConfigError) throw new ConfigError(e.message);
    throw e;
  }
  if (access?.trustedProxy && access.trustedProxy.addresses.length === 0) {
    warnings.push(
      `--trusted_proxy_header without --trusted_proxy_addresses: anyone who reaches the ports can send ${access.trustedProxy.header}`,
    );
  }

  const retries = flags.metadata_store_connection_retries ?? DEFAULT_CONNECTION_RETRIES;
  if (retries < 0) throw new ConfigError('--metadata_store_connection_retries must not be negative');
  return {
    host: flags.host ?? '0.0.0.0',
    port,
    httpPort: httpPort === -1 ? undefined : httpPort,
    cmfServer: { dataDir: flags.cmf_data_dir ?? DEFAULT_CMF_DATA_DIR, maxUploadBytes },
    corsAllowedOrigins,
    backend,
    tenants,
    migration,
    tls,
    channelOptions: parseChannelArguments(flags.grpc_channel_arguments ?? ''),
    maxMessageBytes: flags.max_message_bytes,
    connectionRetries: retries,
    metricsPort,
    logLevel: logLevel as LogLevel,
    accessLog: flags.access_log ?? false,
    access,
    warnings,
  };
}

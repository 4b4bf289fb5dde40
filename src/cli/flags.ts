/**
 * Command-line flags: upstream metadata_store_server's gflags (same names, types and defaults) plus a few of our
 * own. Accepts gflags syntax: `--name=value`, `--name value`, `--bool`, `--nobool`, `--bool=true|false`, and a
 * single leading dash as well as two.
 */

type FlagType = 'string' | 'int' | 'bool';
interface FlagSpec {
  type: FlagType;
  help: string;
}

const FLAGS = {
  grpc_port: { type: 'int', help: 'port to listen on (default 8080)' },
  grpc_channel_arguments: { type: 'string', help: 'comma-separated gRPC server channel arguments, key=value' },
  metadata_source_config_type: { type: 'string', help: 'default | config_file | mysql | postgresql' },
  metadata_store_server_config_file: { type: 'string', help: 'text-format MetadataStoreServerConfig file' },
  metadata_store_connection_retries: { type: 'int', help: 'start-up retries while the store answers ABORTED (5)' },
  enable_database_upgrade: { type: 'bool', help: 'upgrade an older schema at start-up (flag-configured backends)' },
  downgrade_db_schema_version: { type: 'int', help: 'downgrade the schema to this version, then exit' },
  // Upstream's five MySQL flags...
  mysql_config_host: { type: 'string', help: 'MySQL/MariaDB host (with port and database: serve MySQL)' },
  mysql_config_port: { type: 'int', help: 'MySQL/MariaDB port' },
  mysql_config_database: { type: 'string', help: 'MySQL/MariaDB database (created unless skip_db_creation)' },
  mysql_config_user: { type: 'string', help: 'MySQL/MariaDB user' },
  mysql_config_password: { type: 'string', help: 'MySQL/MariaDB password (empty: none)' },
  // ...and the rest of MySQLDatabaseConfig, named after its fields (ours).
  mysql_config_socket: { type: 'string', help: 'MySQL/MariaDB Unix socket (instead of the host)' },
  mysql_config_skip_db_creation: { type: 'bool', help: 'do not create the MySQL database' },
  mysql_config_ssl_key: { type: 'string', help: 'TLS client key file (any ssl flag turns TLS on)' },
  mysql_config_ssl_cert: { type: 'string', help: 'TLS client certificate file' },
  mysql_config_ssl_ca: { type: 'string', help: 'TLS CA file' },
  mysql_config_ssl_capath: { type: 'string', help: 'directory of TLS CA files' },
  mysql_config_ssl_cipher: { type: 'string', help: 'TLS cipher list' },
  mysql_config_ssl_verify_server_cert: { type: 'bool', help: "check the server's certificate and name" },
  postgres_config_host: { type: 'string', help: 'PostgreSQL host' },
  postgres_config_hostaddr: { type: 'string', help: 'PostgreSQL host address' },
  postgres_config_port: { type: 'string', help: 'PostgreSQL port (a string, as upstream)' },
  postgres_config_user: { type: 'string', help: 'PostgreSQL user' },
  postgres_config_password: { type: 'string', help: 'PostgreSQL password' },
  postgres_config_passfile: { type: 'string', help: 'PostgreSQL passfile' },
  postgres_config_dbname: { type: 'string', help: 'PostgreSQL database' },
  postgres_config_skip_db_creation: { type: 'bool', help: 'do not create the PostgreSQL database' },
  postgres_config_sslmode: { type: 'string', help: 'disable|allow|prefer|require|verify-ca|verify-full' },
  postgres_config_sslcert: { type: 'string', help: 'client certificate file' },
  postgres_config_sslkey: { type: 'string', help: 'client key file' },
  postgres_config_sslpassword: { type: 'string', help: 'client key password' },
  postgres_config_sslrootcert: { type: 'string', help: 'CA file' },
  // Ours.
  db: { type: 'string', help: 'SQLite file to serve (shortcut for a sqlite connection_config); default ./mlmd.db' },
  host: { type: 'string', help: 'bind address (default 0.0.0.0)' },
  http_port: {
    type: 'int',
    help: 'HTTP port for gRPC-Web, the cmf-server API and the web UI (default 8081; 0 = any free port; -1 = off)',
  },
  cors_allowed_origins: {
    type: 'string',
    help: 'origins whose pages may call gRPC-Web, comma-separated (https://host:port), or * (default: none)',
  },
  max_message_bytes: { type: 'int', help: 'gRPC receive/send limit in bytes (default 128 MiB; -1 = unlimited)' },
  cmf_data_dir: {
    type: 'string',
    help: 'cmf-server API: where uploaded python-env, label and TensorBoard files go (default ./cmf-data)',
  },
  cmf_max_upload_bytes: { type: 'int', help: 'cmf-server API: largest file upload in bytes (default 256 MiB)' },
  tenants: {
    type: 'string',
    help: 'tenants beside `default`, comma-separated; each a store of its own (default none)',
  },
  tenants_dir: {
    type: 'string',
    help: "SQLite: the directory of the tenants' files <dir>/<tenant>.db (default: tenants/ beside the --db file)",
  },
  max_open_tenants: { type: 'int', help: 'tenant stores kept open at once; idle ones close first (default 16)' },
  neo4j_uri: {
    type: 'string',
    help: 'project lineage into Neo4j at this Bolt URI (default: env NEO4J_URI; off if unset)',
  },
  neo4j_user_name: { type: 'string', help: 'Neo4j user (default: env NEO4J_USER_NAME)' },
  neo4j_passwd: { type: 'string', help: 'Neo4j password (default: env NEO4J_PASSWD)' },
  neo4j_database: { type: 'string', help: "Neo4j database (default: the server's default)" },
  neo4j_resync: { type: 'bool', help: 'rebuild the whole Neo4j graph from the store, then exit' },
  neo4j_resync_clear: { type: 'bool', help: 'with --neo4j_resync: first delete the projected nodes' },
  metrics_port: { type: 'int', help: 'serve Prometheus metrics at http://<host>:<port>/metrics (default off)' },
  log_level: { type: 'string', help: 'trace | debug | info | warn | error | fatal | silent (default info)' },
  access_log: { type: 'bool', help: 'log one JSON line per call (method, code, duration, peer, bytes)' },
  access_policy_file: {
    type: 'string',
    help: 'access control: JSON policy (principals and groups -> tenant -> role); reloaded on SIGHUP (default: off)',
  },
  oidc_issuer: { type: 'string', help: 'access control: accept OpenID Connect bearer tokens of this issuer URL' },
  oidc_audience: { type: 'string', help: 'access control: the audience (aud) those tokens must name' },
  oidc_principal_claim: { type: 'string', help: 'access control: the claim naming the principal (default sub)' },
  oidc_groups_claim: {
    type: 'string',
    help: "access control: the claim listing the principal's groups (default groups)",
  },
  oidc_clock_skew_seconds: { type: 'int', help: 'access control: tolerance for exp and nbf (default 30)' },
  api_tokens_file: {
    type: 'string',
    help: 'access control: file of hashed API tokens (`cmf-mlmd token create NAME` adds one); reloaded on SIGHUP',
  },
  client_cert_principal: {
    type: 'string',
    help: 'access control: mTLS client certificates as identities, named by cn | san-email | san-dns | san-uri',
  },
  trusted_proxy_header: {
    type: 'string',
    help: "access control: a trusted proxy's identity header, e.g. kubeflow-userid (default: off)",
  },
  trusted_proxy_prefix: { type: 'string', help: 'access control: prefix the proxy puts before the name (removed)' },
  trusted_proxy_addresses: {
    type: 'string',
    help: "access control: the proxy's IP addresses, comma-separated (the header counts only from them)",
  },
  auth_failures_per_minute: {
    type: 'int',
    help: 'access control: failed authentications one address may make per minute (burst twice that; default 10)',
  },
  version: { type: 'bool', help: 'print the version and exit' },
  help: { type: 'bool', help: 'print this help' },
} as const satisfies Record<string, FlagSpec>;

export type FlagName = keyof typeof FLAGS;
type ValueOf<T extends FlagType> = T extends 'int' ? number : T extends 'bool' ? boolean : string;

/** Only the flags that were given are present, so "unset" and "set to the default" stay distinguishable. */
export type Flags = { -readonly [K in FlagName]?: ValueOf<(typeof FLAGS)[K]['type']> };

/** A command-line mistake: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const isFlagName = (name: string): name is FlagName => Object.prototype.hasOwnProperty.call(FLAGS, name);

function parseBool(name: string, text: string): boolean {
  if (/^(true|t|yes|y|1)$/i.test(text)) return true;
  if (/^(false|f|no|n|0)$/i.test(text)) return false;
  throw new UsageError(`--${name} needs a boolean (true/false), got "${text}"`);
}

function parseInt32(name: string, text: string): number {
  if (!/^[-+]?[0-9]+$/.test(text.trim())) throw new UsageError(`--${name} needs an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} is out of range: ${text}`);
  return n;
}

export function parseFlags(argv: readonly string[]): Flags {
  const flags: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--?([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}" (flags look like --name=value)`);
    let name = m[1];
    let value: string | undefined = m[2];
    // gflags' --noX form negates boolean X.
    if (
      !isFlagName(name) &&
      name.startsWith('no') &&
      isFlagName(name.slice(2)) &&
      FLAGS[name.slice(2) as FlagName].type === 'bool'
    ) {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      name = name.slice(2);
      value = 'false';
    }
    if (!isFlagName(name)) throw new UsageError(`unknown flag --${name}`);
    const spec: FlagSpec = FLAGS[name];
    if (value === undefined) {
      if (spec.type === 'bool') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`--${name} needs a value`);
    }
    flags[name] = spec.type === 'bool' ? parseBool(name, value) : spec.type === 'int' ? parseInt32(name, value) : value;
  }
  return flags as Flags;
}

export function usage(): string {
  const lines = [
    'usage: cmf-mlmd [--flag=value ...]',
    '       cmf-mlmd token create <account> --api_tokens_file=PATH   (a new API token, printed once)',
    '',
    'flags (upstream metadata_store_server names):',
  ];
  for (const [name, spec] of Object.entries(FLAGS) as [string, FlagSpec][]) {
    lines.push(`  --${name}${spec.type === 'bool' ? '' : `=<${spec.type}>`}`.padEnd(44) + spec.help);
  }
  return lines.join('\n');
}

/**
 * --grpc_channel_arguments: "k=v,k2=v2". Empty items are skipped; integer values become numbers (as upstream adds
 * them as integer arguments). Upstream reads past the end for an item without '='; we refuse it.
 */
export function parseChannelArguments(text: string): Record<string, string | number> {
  const args: Record<string, string | number> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--grpc_channel_arguments: "${item}" is not key=value`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (value.includes('=')) throw new UsageError(`--grpc_channel_arguments: "${item}" has more than one '='`);
    const n = /^[-+]?[0-9]+$/.test(value) ? Number(value) : NaN;
    args[key] = Number.isSafeInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : value;
  }
  return args;
}

/**
 * MySQL/MariaDB connection settings: MLMD's MySQLDatabaseConfig (--mysql_config_* flags or connection_config
 * { mysql { … } }) as mysql2 pool options, with the TLS files of its ssl_options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { PoolOptions } from 'mysql2';
import type { MySQLDatabaseConfig } from '../../../generated/ml_metadata/proto/metadata_store';
import { CONNECTION_CHARSET } from './charset';

export interface MysqlOptions {
  /** MLMD's MySQLDatabaseConfig. */
  config: MySQLDatabaseConfig;
  /** Connections per server process (default 10, or $MLMD_MYSQL_POOL_SIZE). */
  poolSize?: number;
  /** How many times a transaction is re-run after a transient failure (default 6). */
  maxRetries?: number;
  /** Time limit of one read transaction (default $MLMD_READ_TIME_LIMIT_MS, else DEFAULT_READ_TIME_LIMIT_MS). */
  readTimeLimitMs?: number;
}

/** Where the server is, for messages. */
export function describeServer(config: MySQLDatabaseConfig): string {
  return config.socket
    ? `${config.socket}/${config.database}`
    : `${config.host}:${config.port ?? 3306}/${config.database}`;
}

/** The CA certificates of `ca` and of every file in `capath` (OpenSSL's hashed directory: all files are tried). */
function certificateAuthorities(ca: string | undefined, capath: string | undefined): string[] | undefined {
  const out: string[] = [];
  if (ca) out.push(fs.readFileSync(ca, 'utf8'));
  if (capath) {
    for (const name of fs.readdirSync(capath)) {
      const file = path.join(capath, name);
      if (fs.statSync(file).isFile()) out.push(fs.readFileSync(file, 'utf8'));
    }
  }
  return out.length > 0 ? out : undefined;
}

/**
 * ssl_options as TLS options: any of them turns TLS on (as mysql_ssl_set does upstream). The server's certificate
 * and name are checked only with verify_server_cert, as MYSQL_OPT_SSL_VERIFY_SERVER_CERT does.
 */
export function tlsOptions(config: MySQLDatabaseConfig): TlsOptions | undefined {
  const o = config.sslOptions;
  if (!o) return undefined;
  return {
    key: o.key ? fs.readFileSync(o.key, 'utf8') : undefined,
    cert: o.cert ? fs.readFileSync(o.cert, 'utf8') : undefined,
    ca: certificateAuthorities(o.ca, o.capath),
    ciphers: o.cipher || undefined,
    rejectUnauthorized: o.verifyServerCert ?? false,
  };
}

/** mysql2 options for a connection to `database` (the configured one by default; none for server-level work). */
export function connectionOptions(
  config: MySQLDatabaseConfig,
  database: string | undefined = config.database,
): PoolOptions {
  return {
    host: config.socket ? undefined : config.host || 'localhost',
    port: config.socket ? undefined : Number(config.port || 3306),
    socketPath: config.socket || undefined,
    user: config.user || undefined,
    password: config.password || undefined,
    database: database || undefined,
    ssl: tlsOptions(config) as PoolOptions['ssl'],
    charset: CONNECTION_CHARSET,
    // BIGINT columns come back as decimal strings (read as bigint by the driver), never as rounded numbers.
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    connectTimeout: 5000,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
  };
}

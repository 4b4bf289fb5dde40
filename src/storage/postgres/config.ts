/**
 * PostgreSQL connection settings: MLMD's PostgreSQLDatabaseConfig (flags or config file) as node-postgres client
 * settings, with libpq's password file and sslmode semantics, and the type parsers that make integers bigint.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { types as pgTypes, type ClientConfig } from 'pg';
import type { PostgreSQLDatabaseConfig } from '../../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../../errors';

export interface PostgresOptions {
  /** MLMD's PostgreSQLDatabaseConfig (from --postgres_config_* flags or connection_config { postgresql { … } }). */
  config: PostgreSQLDatabaseConfig;
  /** Connections per server process (default 10, or $MLMD_PG_POOL_SIZE). */
  poolSize?: number;
  /** How many times a transaction is re-run after a transient failure (default 6). */
  maxRetries?: number;
  /** Time limit of one read transaction (default $MLMD_READ_TIME_LIMIT_MS, else DEFAULT_READ_TIME_LIMIT_MS). */
  readTimeLimitMs?: number;
}

const INT_OIDS = [20, 21, 23, 26]; // int8, int2, int4, oid
const BOOL_OID = 16;

/** Type parsers for this pool only (the global `pg.types` stay untouched). */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      if (INT_OIDS.includes(oid)) return (v: string) => BigInt(v);
      if (oid === BOOL_OID) return (v: string) => (v === 't' ? 1n : 0n);
    }
    return pgTypes.getTypeParser(oid, format as 'text');
  },
};

/** Reads the password for host/port/db/user from a libpq password file (`hostname:port:database:username:password`). */
export function passwordFromPassfile(
  file: string,
  host: string,
  port: string,
  db: string,
  user: string,
): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const fields: string[] = [];
    let cur = '';
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\\' && i + 1 < line.length) cur += line[++i];
      else if (line[i] === ':' && fields.length < 4) {
        fields.push(cur);
        cur = '';
      } else cur += line[i];
    }
    fields.push(cur);
    if (fields.length < 5) continue;
    const [h, p, d, u, pw] = fields;
    const match = (pattern: string, value: string) => pattern === '*' || pattern === value;
    if (match(h, host) && match(p, port) && match(d, db) && match(u, user)) return pw;
  }
  return undefined;
}

function readIfSet(file: string | undefined): string | undefined {
  if (!file) return undefined;
  return fs.readFileSync(file.startsWith('~/') ? path.join(os.homedir(), file.slice(2)) : file, 'utf8');
}

/** libpq's sslmode and files as node TLS options (false: plaintext). */
export function sslOptions(config: PostgreSQLDatabaseConfig): false | ConnectionOptions {
  const o = config.ssloption ?? {};
  const mode = (o.sslmode || 'disable').toLowerCase();
  // `allow` and `prefer` would fall back to plaintext in libpq; node-postgres cannot negotiate, so they mean plaintext.
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const files = {
    ca: readIfSet(o.sslrootcert),
    cert: readIfSet(o.sslcert),
    key: readIfSet(o.sslkey),
    passphrase: o.sslpassword || undefined,
  };
  if (mode === 'require' && !o.sslrootcert) return { ...files, rejectUnauthorized: false };
  if (mode === 'require' || mode === 'verify-ca')
    return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  if (mode === 'verify-full') return { ...files, rejectUnauthorized: true };
  throw invalidArgument(`Unknown PostgreSQL sslmode ${JSON.stringify(o.sslmode)}`);
}

/** The node-postgres connection settings for a database (MLMD's config, or another database on the same server). */
export function clientConfig(config: PostgreSQLDatabaseConfig, database = config.dbname ?? ''): ClientConfig {
  const host = config.hostaddr || config.host || '';
  const port = config.port || '5432';
  const user = config.user ?? '';
  let password = config.password || undefined;
  if (password === undefined && config.passfile)
    password = passwordFromPassfile(config.passfile, config.host || host, port, database, user);
  return {
    host,
    port: Number(port),
    user,
    password,
    database,
    ssl: sslOptions(config),
    types: TYPES,
    keepAlive: true,
    connectionTimeoutMillis: 5000,
    application_name: 'cmf-mlmd',
  };
}

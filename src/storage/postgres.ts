/**
 * The shared backend: PostgreSQL through a `pg` pool, so any number of stateless servers can serve one database.
 *
 * Transactions. Each transaction runs on its own pooled connection:
 *   - write: plain `BEGIN` (READ COMMITTED, as upstream). Every statement sees what committed before it started,
 *     which is what makes `serializeOn` (an advisory lock taken before a read-then-insert) work: once the lock is
 *     held, the next SELECT sees the row the previous holder committed.
 *   - read: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`: one snapshot for the whole RPC (a listing never sees
 *     a node without the properties a concurrent writer committed with it). Read-only snapshots never fail to
 *     serialise.
 * Failures:
 *   - SQLSTATE 40001 / 40P01 (serialisation failure, deadlock), a connection lost before COMMIT was sent, and a
 *     domain ABORTED (e.g. a context created concurrently) roll back and re-run the whole body, a bounded number
 *     of times with jittered exponential back-off; past the budget the call answers ABORTED, the status MLMD
 *     clients retry on. Re-running is safe: nothing of a rolled-back attempt persists.
 *   - a connection lost while COMMIT was in flight: the outcome is unknown, so the body is NOT re-run; UNAVAILABLE.
 *   - no connection at all (database down or restarting): ABORTED after the retries, so clients retry; the pool
 *     drops dead connections and opens new ones, so the server recovers by itself when the database is back.
 *   - 23505 (unique violation): UniqueViolation, for the domain to translate as MLMD does.
 *   - 22003 (numeric value out of range): INVALID_ARGUMENT (int_value is a 32-bit INT in databases created by the
 *     ml-metadata package; those we create use BIGINT); any other data exception (class 22: a string too long for
 *     its column, a NUL byte in text) and any program limit (class 54: statement too complex) is INVALID_ARGUMENT
 *     too, and out of memory / disk (class 53) RESOURCE_EXHAUSTED.
 * Time limit: a read transaction's statements time out after the read time limit (SET LOCAL statement_timeout, see
 * read-time-limit.ts), and none starts once the transaction is past it: RESOURCE_EXHAUSTED.
 *
 * SQL: the domains write `?` placeholders and CamelCase table names; placeholders become `$1..$n` here, and
 * PostgreSQL folds the unquoted names to the lower-case tables upstream creates. Integers (int2/int4/int8) come back
 * as bigint and booleans as 1n/0n, exactly like SQLite with safe integers, so domain code never sees a dialect.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Pool, types as pgTypes, type ClientConfig, type PoolClient } from 'pg';
import type { ConnectionOptions } from 'node:tls';
import type { PostgreSQLDatabaseConfig } from '../../generated/ml_metadata/proto/metadata_store';
import { aborted, Code, internal, invalidArgument, MlmdError, resourceExhausted } from '../errors';
import { timeLimitExceeded } from '../time-limit';
import {
  Database,
  RetryReason,
  Row,
  RunResult,
  SqlValue,
  StorageObserver,
  Tx,
  TxMode,
  UniqueViolation,
} from './database';
import { readTimeLimitMs, readTimeLimitSql } from './read-time-limit';
import { LruCache, STATEMENT_CACHE_SIZE } from './statement-cache';

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

/** Rewrites `?` placeholders to `$1..$n`, leaving quoted strings, quoted identifiers and comments alone. */
export function toPgPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i, c);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out;
}

function closingQuote(sql: string, start: number, q: string): number {
  for (let j = start + 1; j < sql.length; j++) {
    if (sql[j] === q) {
      if (sql[j + 1] === q)
        j++; // doubled quote
      else return j;
    }
  }
  return sql.length - 1;
}

/** `?` -> `$n` rewriting, done once per distinct statement text (bounded like the statement caches). */
const placeholderCache = new LruCache(STATEMENT_CACHE_SIZE, toPgPlaceholders);
const pgSql = (sql: string): string => placeholderCache.get(sql);

function pgParams(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => {
    if (typeof p === 'bigint') return p.toString();
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    return p;
  });
}

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

// ------------------------------------------------------------------------------------------- error classification

interface PgError extends Error {
  code?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed|terminating connection|the database system is (starting up|shutting down|in recovery)|Connection ended/i;

/** A failure of the connection (not of a statement): the database is down, restarting, or the socket broke. */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof MlmdError) return false;
  const raw = (e as PgError).code;
  const code = typeof raw === 'string' ? raw : '';
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') ||
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now
    code === '53300' || // too_many_connections
    CONNECTION_MESSAGES.test(e.message)
  );
}

function isSerializationError(e: unknown): boolean {
  if (e instanceof MlmdError) return false;
  const code = (e as PgError)?.code;
  return code === '40001' || code === '40P01';
}

function translate(e: unknown, readTimeLimitMs: number): Error {
  if (e instanceof MlmdError || e instanceof UniqueViolation || !(e instanceof Error)) return e as Error;
  const code = (e as PgError).code;
  if (code === '23505') return new UniqueViolation(e.message);
  if (code === '22003') {
    return invalidArgument(
      `Value out of range for the database column: ${e.message} (int_value is a 32-bit INT in PostgreSQL databases ` +
        `created by ml-metadata)`,
    );
  }
  if (code === '57014' && /statement timeout/i.test(e.message)) return timeLimitExceeded(readTimeLimitMs);
  if (code?.startsWith('22')) return invalidArgument(`The request holds a value the database refuses: ${e.message}`);
  if (code?.startsWith('54')) return invalidArgument(`The request exceeds a limit of the database: ${e.message}`);
  if (code?.startsWith('53')) return resourceExhausted(`The database ran out of resources: ${e.message}`);
  if (isSerializationError(e)) return aborted(`Concurrent transactions conflicted; please retry: ${e.message}`);
  if (isConnectionError(e)) return aborted(`The PostgreSQL database is unreachable; please retry: ${e.message}`);
  return internal(`Error when executing query: ${e.message}`);
}

/** Failures after which re-running the whole transaction body is safe and may succeed. */
function retryable(e: unknown): boolean {
  return (e instanceof MlmdError && e.code === Code.ABORTED) || isSerializationError(e) || isConnectionError(e);
}

/** For metrics: which kind of retryable failure it was. */
function retryReason(e: unknown): RetryReason {
  const code = (e as PgError)?.code;
  if (e instanceof MlmdError) return 'aborted';
  return code === '40001' ? 'serialization_failure' : code === '40P01' ? 'deadlock' : 'connection_lost';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------------------ the backend

export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  private readonly pool: Pool;
  private readonly maxRetries: number;
  private readonly readTimeLimitMs: number;
  private closed = false;
  private readonly running = new Set<Promise<unknown>>();
  private readonly unobservePool?: () => void;

  constructor(
    options: PostgresOptions,
    private readonly observer?: StorageObserver,
  ) {
    const size = options.poolSize ?? (Number(process.env.MLMD_PG_POOL_SIZE) || 10);
    this.pool = new Pool({ ...clientConfig(options.config), max: size, idleTimeoutMillis: 30_000 });
    // An idle connection that dies (database restarted) is dropped by the pool; the event must have a listener.
    this.pool.on('error', () => undefined);
    this.maxRetries = options.maxRetries ?? 6;
    this.readTimeLimitMs = readTimeLimitMs(options.readTimeLimitMs);
    const pool = this.pool;
    this.unobservePool = observer?.poolOpened('postgres', () => ({
      max: size,
      open: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }));
  }

  transaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down'));
    const run = this.withRetries(mode, body);
    this.running.add(run);
    const done = () => this.running.delete(run);
    run.then(done, done);
    return run;
  }

  private async withRetries<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    // A read's time limit covers the whole call, retries included.
    const deadline = mode === 'read' ? Date.now() + this.readTimeLimitMs : Infinity;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(mode, body, deadline);
      } catch (e) {
        if (!(e instanceof InDoubt) && retryable(e) && attempt < this.maxRetries && !this.closed) {
          // Jittered exponential back-off: 10 ms .. ~1.3 s; connection failures start higher (a restart takes seconds).
          const base = isConnectionError(e) ? 100 : 10;
          this.observer?.transactionRetried('postgres', retryReason(e));
          await sleep(base * 2 ** Math.min(attempt, 6) * (0.5 + Math.random()));
          continue;
        }
        throw e instanceof InDoubt ? e.error : translate(e, this.readTimeLimitMs);
      }
    }
  }

  /** One attempt: BEGIN, body, COMMIT on one pooled connection. Throws the raw error (translated by the caller). */
  private async attempt<T>(mode: TxMode, body: (tx: Tx) => Promise<T>, deadline: number): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A checked-out connection that dies emits 'error' outside any query: without a listener that would crash the
    // process. The failure also surfaces in the running or next query, so noting it is enough.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    const tx = this.txFor(client, deadline);
    try {
      // One round trip: BEGIN and, for a read, its statement timeout (what is left of the call's time limit).
      const left = deadline - Date.now();
      if (left <= 0) throw timeLimitExceeded(this.readTimeLimitMs);
      await client.query(
        mode === 'read'
          ? ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', ...readTimeLimitSql('postgres', left)].join('; ')
          : 'BEGIN',
      );
      const result = await body(tx);
      try {
        await client.query('COMMIT');
      } catch (e) {
        if (isConnectionError(e)) {
          broken = true;
          throw new InDoubt(
            new MlmdError(
              Code.UNAVAILABLE,
              `The connection to PostgreSQL was lost while committing; the outcome of this call is unknown: ${(e as Error).message}`,
            ),
          );
        }
        throw e;
      }
      return result;
    } catch (e) {
      if (e instanceof InDoubt) throw e;
      if (isConnectionError(e)) broken = true;
      else {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private txFor(client: PoolClient, deadline: number): Tx {
    const query = async (sql: string, params: readonly SqlValue[] = []) => {
      if (Date.now() > deadline) throw timeLimitExceeded(this.readTimeLimitMs);
      try {
        return await client.query({ text: pgSql(sql), values: pgParams(params) });
      } catch (e) {
        // Serialisation failures and connection errors stay raw so the runner can retry them; the rest translate now
        // (the domain catches UniqueViolation).
        if (isSerializationError(e) || isConnectionError(e)) throw e;
        throw translate(e, this.readTimeLimitMs);
      }
    };
    return {
      dialect: 'postgres',
      all: async <R extends Row>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows as R[],
      get: async <R extends Row>(sql: string, params?: readonly SqlValue[]) =>
        (await query(sql, params)).rows[0] as R | undefined,
      run: async (sql: string, params?: readonly SqlValue[]): Promise<RunResult> => ({
        changes: (await query(sql, params)).rowCount ?? 0,
      }),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    this.unobservePool?.();
    await this.pool.end();
  }
}

/** A failure after which the transaction's outcome is unknown: never re-run. */
class InDoubt extends Error {
  constructor(readonly error: MlmdError) {
    super(error.message);
  }
}

/**
 * Creates the configured database when it does not exist (unless skip_db_creation), as upstream does: the check and
 * CREATE DATABASE run on a connection to the `postgres` database. Concurrent servers creating it at once are fine.
 */
export async function ensureDatabase(config: PostgreSQLDatabaseConfig): Promise<void> {
  const dbname = config.dbname ?? '';
  const probe = new Client(clientConfig(config));
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return;
  } catch (e) {
    if ((e as PgError).code !== '3D000' || config.skipDbCreation) throw connectError(config, e);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new Client(clientConfig(config, 'postgres'));
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbname]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE "${dbname.replace(/"/g, '""')}"`);
      } catch (e) {
        // Another server created it between the check and CREATE DATABASE.
        const code = (e as PgError).code;
        if (code !== '42P04' && code !== '23505') throw e;
      }
    }
  } catch (e) {
    throw connectError(config, e);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

function connectError(config: PostgreSQLDatabaseConfig, e: unknown): Error {
  if (e instanceof MlmdError) return e;
  const where = `${config.hostaddr || config.host}:${config.port}/${config.dbname}`;
  const message = `Cannot connect to PostgreSQL database ${where}: ${(e as Error).message}`;
  return isConnectionError(e) ? aborted(message) : internal(message);
}

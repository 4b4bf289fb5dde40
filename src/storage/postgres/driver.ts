/**
 * The PostgreSQL backend: a `pg` pool, so any number of stateless servers can serve one database. Connection
 * settings are config.ts, the meaning of failures errors.ts, retries and closing the shared runner (pooled.ts), the
 * SQL differences adapter.ts.
 *
 * Transactions. Each transaction runs on its own pooled connection:
 *   - write: plain `BEGIN` (READ COMMITTED, as upstream). Every statement sees what committed before it started,
 *     which is what makes `serializeOn` (an advisory lock taken before a read-then-insert) work: once the lock is
 *     held, the next SELECT sees the row the previous holder committed.
 *   - read: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`: one snapshot for the whole RPC (a listing never sees
 *     a node without the properties a concurrent writer committed with it). Read-only snapshots never fail to
 *     serialise. Sent with `SET LOCAL statement_timeout` (what is left of the read time limit) in one round trip.
 *   - a connection lost while COMMIT was in flight: the outcome is unknown, so the call answers UNAVAILABLE and is
 *     not re-run; other connection failures are re-run by the runner. The pool drops dead connections and opens new
 *     ones, so the server recovers by itself when the database is back.
 *
 * SQL: the domains write `?` placeholders and CamelCase table names; placeholders become `$1..$n` here, and
 * PostgreSQL folds the unquoted names to the lower-case tables upstream creates.
 */
import { Pool, type PoolClient } from 'pg';
import type { Row, RunResult, SqlValue, StorageObserver, Tx, TxMode } from '../database';
import { PooledDatabase } from '../pooled';
import { readTimeLimitMs } from '../read-time-limit';
import { LruCache, STATEMENT_CACHE_SIZE } from '../statement-cache';
import { PostgresAdapter } from './adapter';
import { clientConfig, type PostgresOptions } from './config';
import { isConnectionError, isSerializationError, PG_FAILURES } from './errors';

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

export class PostgresDatabase extends PooledDatabase {
  readonly dialect = 'postgres' as const;
  readonly adapter = new PostgresAdapter();
  protected readonly label = 'PostgreSQL';
  private readonly pool: Pool;

  constructor(options: PostgresOptions, observer?: StorageObserver) {
    super(PG_FAILURES, options.maxRetries ?? 6, observer, readTimeLimitMs(options.readTimeLimitMs));
    const size = options.poolSize ?? (Number(process.env.MLMD_PG_POOL_SIZE) || 10);
    const pool = new Pool({ ...clientConfig(options.config), max: size, idleTimeoutMillis: 30_000 });
    this.pool = pool;
    // An idle connection that dies (database restarted) is dropped by the pool; the event must have a listener.
    pool.on('error', () => undefined);
    this.observePool(() => ({ max: size, open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }));
  }

  protected async attempt<T>(mode: TxMode, body: (tx: Tx) => Promise<T>, deadline: number): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A checked-out connection that dies emits 'error' outside any query: without a listener that would crash the
    // process. The failure also surfaces in the running or next query, so noting it is enough.
    const markBroken = () => {
      broken = true;
    };
    client.on('error', markBroken);
    const tx = this.txFor(client, deadline);
    try {
      return await this.commitAfter(
        client,
        async () => {
          await client.query(
            mode !== 'write'
              ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ' +
                  `SET LOCAL statement_timeout = ${Math.ceil(this.timeLeft(deadline))}`
              : 'BEGIN',
          );
          return body(tx);
        },
        markBroken,
      );
    } finally {
      client.off('error', markBroken);
      client.release(broken);
    }
  }

  private txFor(client: PoolClient, deadline: number): Tx {
    const query = async (sql: string, params: readonly SqlValue[] = []) => {
      this.timeLeft(deadline);
      try {
        return await client.query({ text: pgSql(sql), values: pgParams(params) });
      } catch (e) {
        // Serialisation failures and connection errors stay raw so the runner can retry them; the rest translate now
        // (the domain catches UniqueViolation).
        if (isSerializationError(e) || isConnectionError(e)) throw e;
        throw this.translate(e);
      }
    };
    return {
      dialect: 'postgres',
      adapter: this.adapter,
      all: async <R extends Row>(sql: string, params?: readonly SqlValue[]) => (await query(sql, params)).rows as R[],
      get: async <R extends Row>(sql: string, params?: readonly SqlValue[]) =>
        (await query(sql, params)).rows[0] as R | undefined,
      run: async (sql: string, params?: readonly SqlValue[]): Promise<RunResult> => ({
        changes: (await query(sql, params)).rowCount ?? 0,
      }),
    };
  }

  protected endPool(): Promise<void> {
    return this.pool.end();
  }
}

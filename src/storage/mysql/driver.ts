/**
 * The MySQL/MariaDB backend: a mysql2 pool (promise API), so any number of stateless servers can serve one database,
 * as on PostgreSQL. Connection settings are config.ts, the meaning of failures errors.ts, retries and closing the
 * shared runner (pooled.ts), the SQL differences adapter.ts, the character set charset.ts.
 *
 * Transactions. Each runs on its own pooled connection:
 *   - write: READ COMMITTED (every statement sees what committed before it started, which is what makes serializeOn
 *     work: once its lock is held, the next SELECT sees what the previous holder committed), then START TRANSACTION.
 *   - read: `START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT` at the session's REPEATABLE READ: one snapshot
 *     for the whole RPC.
 *   - serializeOn's GET_LOCK locks outlive the transaction: they are released right after COMMIT or ROLLBACK.
 *   - the read time limit: a session setting (MySQL's max_execution_time, MariaDB's max_statement_time), set when a
 *     read begins on a connection whose setting differs (rounded to a tenth of the limit, at most a second, so a
 *     connection serving reads keeps its setting and costs no extra round trip) and cleared before a write.
 *   - a connection found dead when the transaction begins is replaced at once (as upstream reconnects on 2006 at
 *     BEGIN); one lost later is re-run by the runner, except while COMMIT was in flight: the outcome is unknown, so
 *     the call answers UNAVAILABLE. Dead connections are destroyed, never returned to the pool, so the server
 *     recovers by itself from a database restart.
 *
 * Statements with parameters are server-side prepared statements (mysql2's execute, cached per connection): values
 * never enter SQL text. Integers come back as bigint, text as UTF-8 strings (charset.ts), binary columns as Buffers,
 * exactly the shapes of the other backends, so domain code never sees a dialect.
 */
import { createPool, TypedParameter, type FieldPacket, type Pool, type PoolConnection } from 'mysql2/promise';
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import type { PoolStats, Row, RunResult, SqlValue, StorageObserver, Tx, TxMode } from '../database';
import { PooledDatabase } from '../pooled';
import { readTimeLimitMs } from '../read-time-limit';
import { MysqlAdapter, SESSION_LOCK_SQL } from './adapter';
import { fromWire, toWire } from './charset';
import { connectionOptions, type MysqlOptions } from './config';
import { isConflict, isConnectionError, MYSQL_FAILURES } from './errors';

/**
 * MySQL 8.0's default sql_mode, set on every connection whatever the server's: strict (an out-of-range or too long
 * value is an error, never silently clamped), backslash escapes on (ml-metadata requires it too).
 */
const SQL_MODE =
  'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

/** Prepared statements kept per connection (the server's max_prepared_stmt_count, 16382, is shared by all). */
const PREPARED_STATEMENTS_PER_CONNECTION = 200;

// mysql2's column types (protocol constants).
const INTEGER_TYPES = new Set([1, 2, 3, 8, 9, 13]); // TINY, SHORT, LONG, LONGLONG, INT24, YEAR
const DECIMAL_TYPES = new Set([0, 246]); // DECIMAL, NEWDECIMAL
const BINARY_CHARSET = 63;

type Convert = (v: unknown) => SqlValue;
const asBigint: Convert = (v) => BigInt(v as string | number);
const asDecimal: Convert = (v) => (/^-?\d+$/.test(v as string) ? BigInt(v as string) : Number(v));
const asText: Convert = (v) => (typeof v === 'string' ? fromWire(v) : (v as SqlValue));
const asIs: Convert = (v) => v as SqlValue;

/** One converter per result column, chosen from its type and character set. */
function converters(fields: FieldPacket[]): Convert[] {
  return fields.map((f) => {
    const type = f.columnType ?? f.type ?? -1;
    if (INTEGER_TYPES.has(type)) return asBigint;
    if (DECIMAL_TYPES.has(type)) return asDecimal;
    if (f.characterSet !== BINARY_CHARSET) return asText;
    return asIs;
  });
}

function toRows(rows: RowDataPacket[], fields: FieldPacket[]): Row[] {
  if (rows.length === 0) return [];
  const convert = converters(fields);
  const names = fields.map((f) => f.name);
  return rows.map((r) => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) {
      const v = r[names[i]];
      row[names[i]] = v === null || v === undefined ? null : convert[i](v);
    }
    return row;
  });
}

/** Parameters as mysql2 binds them: integers as BIGINT, text as its UTF-8 bytes (charset.ts), bytes as BLOB. */
function bindParams(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => {
    if (typeof p === 'bigint') return TypedParameter.LONGLONG(p);
    if (typeof p === 'number') return Number.isSafeInteger(p) ? TypedParameter.LONGLONG(p) : p;
    if (typeof p === 'string') return toWire(p);
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    return p;
  });
}

/** Which server the pool talks to: the statement-time setting differs. */
type Flavour = 'mysql' | 'mariadb';

/** The session statement that bounds each following statement to `ms` milliseconds (0: no limit). */
function statementTimeSql(flavour: Flavour, ms: number): string {
  return flavour === 'mariadb'
    ? `SET SESSION max_statement_time = ${ms / 1000}`
    : `SET SESSION max_execution_time = ${ms}`;
}

/** A transaction's connection and what it must undo. */
interface TxState {
  conn: PoolConnection;
  /** serializeOn took session locks: release them when the transaction ends. */
  locked: boolean;
  /** The connection failed: destroy it instead of returning it to the pool. */
  broken: boolean;
}

/** The counts mysql2's pool keeps (its queues are not part of its typed API; absent ones read as 0). */
function poolStats(pool: Pool, max: number): PoolStats {
  const inner = pool.pool as unknown as Record<'_allConnections' | '_freeConnections' | '_connectionQueue', unknown>;
  const size = (q: unknown) => (q as { length?: number } | undefined)?.length ?? 0;
  return {
    max,
    open: size(inner._allConnections),
    idle: size(inner._freeConnections),
    waiting: size(inner._connectionQueue),
  };
}

export class MysqlDatabase extends PooledDatabase {
  readonly dialect = 'mysql' as const;
  readonly adapter: MysqlAdapter;
  protected readonly label = 'MySQL';
  private readonly pool: Pool;
  private readonly poolSize: number;
  private flavour?: Promise<Flavour>;
  /** The statement time limit each connection's session has (absent: none set). */
  private readonly statementTimeMs = new WeakMap<object, number>();

  constructor(options: MysqlOptions, observer?: StorageObserver) {
    super(MYSQL_FAILURES, options.maxRetries ?? 6, observer, readTimeLimitMs(options.readTimeLimitMs));
    this.adapter = new MysqlAdapter(options.config.database ?? '');
    this.poolSize = options.poolSize ?? (Number(process.env.MLMD_MYSQL_POOL_SIZE) || 10);
    this.pool = createPool({
      ...connectionOptions(options.config),
      connectionLimit: this.poolSize,
      maxIdle: this.poolSize,
      idleTimeout: 30_000,
      waitForConnections: true,
      queueLimit: 0,
      maxPreparedStatements: PREPARED_STATEMENTS_PER_CONNECTION,
    });
    // Session settings of every new connection, queued before any statement of ours runs on it.
    this.pool.pool.on('connection', (conn) => {
      // A failure here (the connection died) surfaces in the first statement of ours; the callback keeps it from
      // being an unhandled 'error' event.
      conn.query(`SET SESSION sql_mode = '${SQL_MODE}'`, () => undefined);
      // An idle connection that dies (database restarted) is dropped by the pool; the event must have a listener.
      conn.on('error', () => undefined);
    });
    this.observePool(() => poolStats(this.pool, this.poolSize));
  }

  /** Which server this is (asked once, on the first connection). */
  private serverFlavour(conn: PoolConnection): Promise<Flavour> {
    this.flavour ??= conn.query('SELECT VERSION() AS v').then(
      ([rows]) => (/mariadb/i.test(String((rows as RowDataPacket[])[0].v)) ? 'mariadb' : 'mysql'),
      (e: unknown) => {
        this.flavour = undefined;
        throw e;
      },
    );
    return this.flavour;
  }

  /** Sets the session's statement time limit to `ms` unless it has it already. */
  private async limitStatementTime(conn: PoolConnection, ms: number): Promise<void> {
    if ((this.statementTimeMs.get(conn.connection) ?? 0) === ms) return;
    this.statementTimeMs.delete(conn.connection); // unknown until the statement succeeds
    await conn.query(statementTimeSql(await this.serverFlavour(conn), ms));
    this.statementTimeMs.set(conn.connection, ms);
  }

  /** What is left of a read's time, rounded up to a tenth of the limit (at most a second): few distinct settings. */
  private statementTimeFor(deadline: number): number {
    const step = Math.max(1, Math.min(1000, Math.floor(this.readTimeLimitMs / 10)));
    return Math.ceil(this.timeLeft(deadline) / step) * step;
  }

  /** A connection whose transaction has begun; a dead one found here is destroyed and replaced straight away. */
  private async begin(mode: TxMode, deadline: number): Promise<TxState> {
    for (let tries = 0; ; tries++) {
      const conn = await this.pool.getConnection();
      try {
        if (mode !== 'write') {
          await this.limitStatementTime(conn, this.statementTimeFor(deadline));
          await conn.query('START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT');
        } else {
          await this.limitStatementTime(conn, 0);
          await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
          await conn.query('START TRANSACTION');
        }
        return { conn, locked: false, broken: false };
      } catch (e) {
        conn.destroy();
        if (!isConnectionError(e) || tries >= this.poolSize) throw e;
      }
    }
  }

  protected async attempt<T>(mode: TxMode, body: (tx: Tx) => Promise<T>, deadline: number): Promise<T> {
    const state = await this.begin(mode, deadline);
    try {
      return await this.commitAfter(
        state.conn,
        () => body(this.txFor(state, deadline)),
        () => {
          state.broken = true;
        },
      );
    } finally {
      await this.finish(state);
    }
  }

  /** Releases the session locks, then returns (or destroys) the connection. */
  private async finish(state: TxState): Promise<void> {
    if (state.locked && !state.broken) {
      try {
        await state.conn.query('DO RELEASE_ALL_LOCKS()');
      } catch {
        state.broken = true;
      }
    }
    if (state.broken) state.conn.destroy();
    else state.conn.release();
  }

  private txFor(state: TxState, deadline: number): Tx {
    const { conn } = state;
    const run = async (sql: string, params: readonly SqlValue[] = []) => {
      this.timeLeft(deadline);
      if (sql.startsWith(SESSION_LOCK_SQL)) state.locked = true;
      try {
        // Statements without parameters (DDL, catalog reads) go unprepared: nothing of the user's is in them.
        return params.length === 0
          ? await conn.query(sql)
          : await conn.execute(sql, bindParams(params) as Parameters<PoolConnection['execute']>[1]);
      } catch (e) {
        // Conflicts and connection errors stay raw so the runner can retry them; the rest translate now (the domain
        // catches UniqueViolation).
        if (isConflict(e) || isConnectionError(e)) throw e;
        throw this.translate(e);
      }
    };
    const select = async (sql: string, params?: readonly SqlValue[]): Promise<Row[]> => {
      const [rows, fields] = await run(sql, params);
      return toRows(rows as RowDataPacket[], fields as FieldPacket[]);
    };
    return {
      dialect: 'mysql',
      adapter: this.adapter,
      all: async <R extends Row>(sql: string, params?: readonly SqlValue[]) => (await select(sql, params)) as R[],
      get: async <R extends Row>(sql: string, params?: readonly SqlValue[]) =>
        (await select(sql, params))[0] as R | undefined,
      run: async (sql: string, params?: readonly SqlValue[]): Promise<RunResult> => {
        const [header] = (await run(sql, params)) as [ResultSetHeader, unknown];
        return { changes: header.affectedRows ?? 0, insertId: BigInt(String(header.insertId ?? 0)) };
      },
    };
  }

  protected endPool(): Promise<void> {
    return this.pool.end();
  }
}

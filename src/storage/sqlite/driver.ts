/**
 * The embedded backend: a better-sqlite3 connection in WAL mode for writes, and reader threads for reads.
 *
 * Writes: better-sqlite3 is synchronous, but domain code awaits between statements, and other RPCs' continuations
 * can run in those gaps. So write transactions are queued and run one at a time on the server's connection, starting
 * with BEGIN IMMEDIATE (takes the write lock up front, so a read-then-write body never fails half-way to upgrade its
 * lock).
 * Reads: on reader threads with read-only connections of their own (readers.ts), each transaction one
 * snapshot (deferred BEGIN), so no read ever blocks the event loop, and reads run beside each other and beside the
 * writer. An in-memory store, which no second connection can see, reads on the server's connection (queued with the
 * writes). Every read transaction has a time limit (RESOURCE_EXHAUSTED past it).
 *
 * Statements are prepared once and cached (a bounded LRU per connection). Integers are read as bigint
 * (safeIntegers) so int64 ids, values and timestamps round-trip exactly.
 */
import * as os from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import { Code, internal, invalidArgument, MlmdError } from '../../errors';
import type { Database, Row, RunResult, SqlValue, Tx, TxMode } from '../database';
import { readTimeLimitMs } from '../read-time-limit';
import { LruCache, STATEMENT_CACHE_SIZE } from '../statement-cache';
import { SQLITE_ADAPTER } from './adapter';
import { ConnectionDeadline } from './deadline';
import { translateSqliteError } from './errors';
import { SqliteReaders } from './readers';

export interface SqliteOptions {
  /** A path, `:memory:`, or a `file:` URI (MLMD's `filename_uri`). */
  filenameUri: string;
  /** Open read-only (MLMD's READONLY connection mode). */
  readonly?: boolean;
  /** Fail when the file does not exist (MLMD's READONLY / READWRITE modes). */
  mustExist?: boolean;
  /** How long a statement waits for another process's lock before the call answers ABORTED. */
  busyTimeoutMs?: number;
  /**
   * FULL (the default) makes every acknowledged commit survive power loss. NORMAL skips the fsync per commit in WAL
   * mode; only for a second connection whose writes may be lost and redone, such as the graph worker's.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * Reader threads for read transactions (default: $MLMD_SQLITE_READERS, else the CPU count between 2 and 4); 0
   * reads on the server's connection. A file store only: an in-memory store always reads on its one connection.
   */
  readerThreads?: number;
  /** Time limit of one read transaction (default $MLMD_READ_TIME_LIMIT_MS, else DEFAULT_READ_TIME_LIMIT_MS). */
  readTimeLimitMs?: number;
}

function defaultReaderThreads(): number {
  const configured = Number(process.env.MLMD_SQLITE_READERS);
  if (process.env.MLMD_SQLITE_READERS !== undefined && Number.isInteger(configured) && configured >= 0)
    return configured;
  return Math.min(4, Math.max(2, os.availableParallelism()));
}

/** Resolves MLMD's `filename_uri` to a path better-sqlite3 can open (it is built without URI support). */
export function sqlitePathFromUri(uri: string): { path: string; readonly: boolean } {
  if (uri === '' || uri === ':memory:') return { path: ':memory:', readonly: false };
  if (!uri.startsWith('file:')) return { path: uri, readonly: false };
  const [rest, query = ''] = uri.slice('file:'.length).split('?', 2);
  const params = new URLSearchParams(query);
  let path = rest;
  if (path.startsWith('//')) {
    // file://host/path: only an empty host or localhost is meaningful for a local file.
    const slash = path.indexOf('/', 2);
    const host = path.slice(2, slash < 0 ? undefined : slash);
    if (host !== '' && host !== 'localhost') throw invalidArgument(`sqlite filename_uri names a remote host: ${uri}`);
    path = slash < 0 ? '' : path.slice(slash);
  }
  path = decodeURIComponent(path);
  if (params.get('mode') === 'memory' || path === ':memory:') return { path: ':memory:', readonly: false };
  return { path, readonly: params.get('mode') === 'ro' };
}

export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  readonly adapter = SQLITE_ADAPTER;
  private readonly conn: BetterSqlite3.Database;
  private readonly statements: LruCache<BetterSqlite3.Statement>;
  private readonly deadline: ConnectionDeadline;
  private readonly readers?: SqliteReaders;
  private readonly timeLimitMs: number;
  /** Tail of the transaction queue: each transaction starts when the previous one has settled. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: SqliteOptions) {
    const { path, readonly: uriReadonly } = sqlitePathFromUri(options.filenameUri);
    const readonly = options.readonly || uriReadonly;
    try {
      this.conn = new BetterSqlite3(path, { readonly, fileMustExist: options.mustExist || readonly });
    } catch (e) {
      throw internal(`Cannot open SQLite database ${JSON.stringify(options.filenameUri)}: ${(e as Error).message}`);
    }
    this.conn.defaultSafeIntegers(true);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (!readonly && path !== ':memory:') this.conn.pragma('journal_mode = WAL');
    // WAL with synchronous=FULL: a transaction acknowledged to a client survives a crash or power loss.
    this.conn.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.statements = new LruCache(STATEMENT_CACHE_SIZE, (sql) => this.conn.prepare(sql));
    this.deadline = new ConnectionDeadline(this.conn);
    this.timeLimitMs = readTimeLimitMs(options.readTimeLimitMs);
    const maxThreads = path === ':memory:' ? 0 : (options.readerThreads ?? defaultReaderThreads());
    if (maxThreads > 0)
      this.readers = new SqliteReaders({ path, busyTimeoutMs, maxThreads, timeLimitMs: this.timeLimitMs });
  }

  transaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down'));
    if (mode === 'read' && this.readers) return this.readers.transaction(body);
    const run = this.queue.then(() => this.runTransaction(mode, body));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runTransaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    this.exec(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN');
    // Reads on this connection (an in-memory store) have their time limit too; writes run to completion.
    if (mode === 'read') this.deadline.set(this.timeLimitMs);
    try {
      const result = await body(this.tx);
      this.exec('COMMIT');
      return result;
    } catch (e) {
      if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
      throw e;
    } finally {
      this.deadline.clear();
    }
  }

  private readonly tx: Tx = {
    dialect: 'sqlite',
    adapter: SQLITE_ADAPTER,
    all: async <R extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      this.guard(() => this.statement(sql).all(...params) as R[]),
    get: async <R extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      this.guard(() => this.statement(sql).get(...params) as R | undefined),
    run: async (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> =>
      this.guard(() => ({ changes: this.statement(sql).run(...params).changes })),
  };

  /** Runs raw SQL outside the queue; only for start-up (schema creation) before the server serves. */
  exec(sql: string): void {
    this.guard(() => this.conn.exec(sql));
  }

  private statement(sql: string): BetterSqlite3.Statement {
    this.deadline.check();
    return this.statements.get(sql);
  }

  /** Translates SQLite failures into the statuses MLMD clients expect. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw translateSqliteError(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readers?.close();
    await this.queue;
    this.statements.clear();
    if (this.conn.open) {
      if (!this.conn.readonly && this.conn.name !== ':memory:') this.conn.pragma('wal_checkpoint(TRUNCATE)');
      this.conn.close();
    }
  }
}

/**
 * The embedded backend: one better-sqlite3 connection in WAL mode.
 *
 * better-sqlite3 is synchronous, but domain code awaits between statements, and other RPCs' continuations can run
 * in those gaps. So transactions are queued and run one at a time on the connection; a write transaction starts
 * with BEGIN IMMEDIATE (takes the write lock up front, so a read-then-write body never fails half-way to upgrade
 * its lock), a read transaction with a deferred BEGIN (a consistent snapshot). Statements are prepared once and
 * cached. Integers are read as bigint (safeIntegers) so int64 ids, values and timestamps round-trip exactly.
 */
import BetterSqlite3 from 'better-sqlite3';
import { aborted, Code, internal, invalidArgument, MlmdError } from '../../errors';
import { Database, Row, RunResult, SqlValue, Tx, TxMode, UniqueViolation } from '../database';
import { SQLITE_ADAPTER } from './adapter';

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
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
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
    this.conn.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (!readonly && path !== ':memory:') this.conn.pragma('journal_mode = WAL');
    // WAL with synchronous=FULL: a transaction acknowledged to a client survives a crash or power loss.
    this.conn.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  }

  transaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down'));
    const run = this.queue.then(() => this.runTransaction(mode, body));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runTransaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    this.exec(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN');
    try {
      const result = await body(this.tx);
      this.exec('COMMIT');
      return result;
    } catch (e) {
      if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
      throw e;
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
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.conn.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
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
    await this.queue;
    this.statements.clear();
    if (this.conn.open) {
      if (!this.conn.readonly && this.conn.name !== ':memory:') this.conn.pragma('wal_checkpoint(TRUNCATE)');
      this.conn.close();
    }
  }
}

function translateSqliteError(e: unknown): Error {
  if (e instanceof MlmdError || !(e instanceof Error)) return e as Error;
  const code = (e as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    // The only status MLMD clients retry on.
    return aborted(`Concurrent writes aborted: the database is locked (${e.message})`);
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new UniqueViolation(e.message);
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY')) {
    return new MlmdError(Code.FAILED_PRECONDITION, `The metadata store is read-only: ${e.message}`);
  }
  return internal(`Error when executing query: ${e.message}`);
}

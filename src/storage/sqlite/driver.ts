/**
 * The embedded backend: a better-sqlite3 connection in WAL mode for writes, a read-only one for lookups, and reader
 * threads for reads.
 *
 * Writes: queued and run one at a time on the server's connection (serial-connection.ts), starting with BEGIN
 * IMMEDIATE (takes the write lock up front, so a read-then-write body never fails half-way to upgrade its lock).
 * Lookups (reads the request bounds: by id, by type, by name): on a read-only connection of the server's thread,
 * queued among themselves only. A few index probes cost microseconds, far less than a round trip to a thread.
 * Reads (filters, listings, lineage: unbounded): on reader threads with read-only connections of their own
 * (readers.ts), so no read of unbounded cost ever blocks the event loop, and reads run beside each other and
 * beside the writer. Every read or lookup is one snapshot (deferred BEGIN) with a time limit (RESOURCE_EXHAUSTED
 * past it). An in-memory store, which no second connection can see, reads on the writer's connection (queued with
 * the writes).
 */
import * as os from 'node:os';
import BetterSqlite3 from 'better-sqlite3';
import { Code, internal, invalidArgument, MlmdError } from '../../errors';
import type { Database, Tx, TxMode } from '../database';
import { readTaskFunction, type ReadTask } from '../read-task';
import { readTimeLimitMs } from '../read-time-limit';
import { SQLITE_ADAPTER } from './adapter';
import { SqliteReaders } from './readers';
import { SerialConnection } from './serial-connection';

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
  private readonly writer: SerialConnection;
  /** A read-only connection of a file store for lookups (an in-memory store looks up on its writer). */
  private readonly lookups?: SerialConnection;
  private readonly readers?: SqliteReaders;
  private readonly timeLimitMs: number;
  private closed = false;

  constructor(options: SqliteOptions) {
    const { path, readonly: uriReadonly } = sqlitePathFromUri(options.filenameUri);
    const readonly = options.readonly || uriReadonly;
    const open = (ro: boolean) => {
      try {
        return new BetterSqlite3(path, { readonly: ro, fileMustExist: options.mustExist || ro });
      } catch (e) {
        throw internal(`Cannot open SQLite database ${JSON.stringify(options.filenameUri)}: ${(e as Error).message}`);
      }
    };
    const conn = open(readonly);
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (!readonly && path !== ':memory:') conn.pragma('journal_mode = WAL');
    // WAL with synchronous=FULL: a transaction acknowledged to a client survives a crash or power loss.
    conn.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.writer = new SerialConnection(conn);
    this.timeLimitMs = readTimeLimitMs(options.readTimeLimitMs);
    if (path === ':memory:') return;
    const lookupConn = open(true);
    lookupConn.pragma(`busy_timeout = ${busyTimeoutMs}`);
    this.lookups = new SerialConnection(lookupConn);
    const maxThreads = options.readerThreads ?? defaultReaderThreads();
    if (maxThreads > 0)
      this.readers = new SqliteReaders({ path, busyTimeoutMs, maxThreads, timeLimitMs: this.timeLimitMs });
  }

  transaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down'));
    if (mode === 'write') return this.writer.transaction('BEGIN IMMEDIATE', undefined, body);
    // A lookup's few index probes cost less than one message to a reader thread: it runs here, beside the writer.
    if (mode === 'lookup' && this.lookups) return this.lookups.transaction('BEGIN', this.timeLimitMs, body);
    if (this.readers) return this.readers.transaction(body);
    // Reads on this thread (an in-memory store, or no reader threads) have their time limit too.
    return (this.lookups ?? this.writer).transaction('BEGIN', this.timeLimitMs, body);
  }

  readTask(task: ReadTask, input: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down'));
    if (this.readers) return this.readers.task(task, input);
    const fn = readTaskFunction(task);
    return this.transaction('read', (tx) => fn(tx, input));
  }

  prepareReadTask(task: ReadTask): void {
    this.readers?.preload(task);
  }

  /** Runs raw SQL outside the queue; only for start-up (schema creation) before the server serves. */
  exec(sql: string): void {
    this.writer.exec(sql);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readers?.close();
    await this.lookups?.close();
    await this.writer.close();
  }
}

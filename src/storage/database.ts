/**
 * The transaction interface every backend implements. The MLMD and CMF domains are written once against it.
 *
 * Shape: a domain operation is an async function of a `Tx`. The backend decides how transactions are scheduled:
 * better-sqlite3 is synchronous, so the SQLite backend runs one transaction at a time on its connection (a queue);
 * the asynchronous drivers (`pg`, `mysql2`) run each transaction on its own pooled connection.
 *
 * What differs between the SQL dialects beyond that (list parameters, RETURNING, upserts, locks, byte encoding,
 * DDL) is the Tx's `adapter` (adapter.ts); domain code reaches it through the helpers in sql.ts, never by testing
 * the dialect's name.
 *
 * SQL text uses `?` placeholders and MLMD's CamelCase table names; user values are always bound, never pasted.
 * Integer columns come back as `bigint` from every backend (MLMD ids, int_value and timestamps are int64).
 */

import type { DialectAdapter } from './adapter';
import type { ReadTask } from './read-task';

export type SqlValue = bigint | number | string | Uint8Array | null;
export type Row = Record<string, SqlValue>;

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

/**
 * Read transactions see one consistent snapshot; write transactions hold the write lock for their whole body.
 * `lookup` is a read whose cost the request bounds (rows by id, by type, by name: a handful of index probes), so a
 * backend may run it where a statement is cheapest; `read` is a read of unbounded cost (filters, listings,
 * lineage), which must never hold up other calls.
 */
export type TxMode = 'lookup' | 'read' | 'write';

export interface RunResult {
  /** Rows changed by the statement. */
  changes: number;
  /**
   * The AUTO_INCREMENT id of the (first) row the statement inserted, where the driver reports one (MySQL, which has
   * no RETURNING). Read it through `insertReturningId` (sql.ts), which works on every backend.
   */
  insertId?: bigint;
}

/** Milliseconds since the Unix epoch, the source of every timestamp the domain stores. */
export type Clock = () => number;

export interface Tx {
  readonly dialect: Dialect;
  /** Where this transaction's timestamps come from; absent (every backend): the system clock. Tests inject one. */
  readonly clock?: Clock;
  /** Every SQL difference of this transaction's backend (and database). */
  readonly adapter: DialectAdapter;
  /** Runs a statement that returns rows. */
  all<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a statement that returns at most one row. */
  get<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined>;
  /** Runs a statement for its effect. */
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
}

export interface Database {
  readonly dialect: Dialect;
  readonly adapter: DialectAdapter;
  /**
   * Runs `body` inside one transaction: committed when it resolves, rolled back when it throws (the error is
   * rethrown unchanged). Backend failures surface as MlmdError (busy/lock/serialisation conflicts as ABORTED).
   */
  transaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs a read transaction whose body is a function a module exports (read-task.ts), where the backend runs a
   * whole read cheapest. Optional: callers go through `runReadTask`, which runs the body here without it.
   */
  readTask?(task: ReadTask, input: unknown): Promise<unknown>;
  /** Readies the backend for `task` ahead of its first use (loads its module where reads run); optional. */
  prepareReadTask?(task: ReadTask): void;
  /** Waits for running transactions, then releases the connection(s). */
  close(): Promise<void>;
}

/**
 * Raised by a backend when a statement violates a UNIQUE or PRIMARY KEY constraint. Domains translate it where
 * MLMD does (ALREADY_EXISTS on inserts); anywhere else it stays an internal error.
 */
export class UniqueViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UniqueViolation';
  }
}

/**
 * What a backend tells the operator's instruments (metrics) about itself, without depending on them: the server
 * passes an implementation when it opens the store; storage/ never imports a metrics library.
 */
export interface StorageObserver {
  /** A transaction was rolled back after a transient failure and is run again. */
  transactionRetried(backend: Dialect, reason: RetryReason): void;
  /** A backend opened a connection pool: `stats` is read whenever metrics are collected; call the result on close. */
  poolOpened(backend: Dialect, stats: () => PoolStats): () => void;
}

/** Why a transaction was re-run. */
export type RetryReason =
  /** The database refused to serialise it (PostgreSQL 40001) */
  | 'serialization_failure'
  /** It was chosen as a deadlock victim (PostgreSQL 40P01, MySQL 1213) */
  | 'deadlock'
  /** It waited on a row or named lock longer than the database allows (MySQL 1205) */
  | 'lock_wait_timeout'
  /** The connection broke before COMMIT was sent (database restarting, network) */
  | 'connection_lost'
  /** The domain asked for a retry (ABORTED: e.g. a context another server created concurrently) */
  | 'aborted';

export interface PoolStats {
  /** Configured maximum of connections. */
  max: number;
  /** Open connections (busy and idle). */
  open: number;
  idle: number;
  /** Transactions waiting for a connection. */
  waiting: number;
}

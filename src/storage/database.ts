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

export type SqlValue = bigint | number | string | Uint8Array | null;
export type Row = Record<string, SqlValue>;

export type Dialect = 'sqlite' | 'postgres' | 'mysql';

/** Read transactions see one consistent snapshot; write transactions hold the write lock for their whole body. */
export type TxMode = 'read' | 'write';

export interface RunResult {
  /** Rows changed by the statement. */
  changes: number;
  /**
   * The AUTO_INCREMENT id of the (first) row the statement inserted, where the driver reports one (MySQL, which has
   * no RETURNING). Read it through `insertReturningId` (sql.ts), which works on every backend.
   */
  insertId?: bigint;
}

export interface Tx {
  readonly dialect: Dialect;
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

/**
 * The transaction interface every backend implements. The MLMD and CMF domains are written once against it.
 *
 * Shape: a domain operation is an async function of a `Tx`. The backend decides how transactions are scheduled:
 * better-sqlite3 is synchronous, so the SQLite backend runs one transaction at a time on its connection (a queue);
 * an asynchronous driver such as `pg` runs each transaction on its own pooled connection.
 *
 * SQL text uses `?` placeholders and MLMD's CamelCase table names; user values are always bound, never pasted.
 * Integer columns come back as `bigint` from every backend (MLMD ids, int_value and timestamps are int64).
 */

export type SqlValue = bigint | number | string | Uint8Array | null;
export type Row = Record<string, SqlValue>;

export type Dialect = 'sqlite' | 'postgres';

/** Read transactions see one consistent snapshot; write transactions hold the write lock for their whole body. */
export type TxMode = 'read' | 'write';

export interface RunResult {
  /** Rows changed by the statement. */
  changes: number;
}

export interface Tx {
  readonly dialect: Dialect;
  /** Runs a statement that returns rows. */
  all<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a statement that returns at most one row. */
  get<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined>;
  /** Runs a statement for its effect. */
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
}

export interface Database {
  readonly dialect: Dialect;
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

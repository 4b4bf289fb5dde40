/**
 * One adapter per SQL backend: every way the dialects differ, in one interface, so a new backend is a new
 * implementation the compiler checks field by field (Kysely's DialectAdapter; MLMD's per-backend query config that
 * overrides only what differs). Domain code never tests a dialect's name: it calls the helpers in sql.ts and
 * values.ts, which delegate here. Schema differences (column types, index syntax, the catalog) are the `ddl` part.
 *
 * Implementations: sqlite/adapter.ts, postgres/adapter.ts, mysql/adapter.ts.
 */
import type { Dialect, SqlValue, Tx } from './database';
import type { ColumnSpec, IndexSpec, TableSpec } from './schema';

/** A subquery yielding a list of values, bound as ONE parameter whatever the list's length. */
export interface ListSql {
  sql: string;
  param: SqlValue;
}

export interface DialectAdapter {
  readonly dialect: Dialect;

  /** `x IN (${idSet(ids).sql})`: integers (ids) as one bound parameter. */
  idSet(ids: readonly bigint[]): ListSql;
  /** The same for strings, compared as the database compares the columns they are matched against. */
  textSet(values: readonly string[]): ListSql;
  /** SQL for a bound parameter read as a 64-bit integer (where the type cannot be inferred, e.g. a CTE's seed). */
  readonly bigintParam: string;

  /**
   * Whether `INSERT … RETURNING` exists. Without it (MySQL) single-row inserts read the statement's insertId and
   * multi-row inserts find their rows again through a unique key, or compute their ids (below).
   */
  readonly supportsReturning: boolean;
  /**
   * Without RETURNING: the step between the ids one multi-row INSERT gives its rows, in VALUES order from the first
   * id the statement reports, when the backend promises that; undefined when it does not (or has RETURNING).
   * Known after `inspectSchema`.
   */
  readonly multiRowIdStep: bigint | undefined;
  /**
   * Whether DDL is transactional. MySQL commits before and after every DDL statement, so schema set-up there is a
   * series of idempotent steps under a session lock rather than one all-or-nothing transaction.
   */
  readonly supportsTransactionalDdl: boolean;
  /**
   * The tail of an INSERT that updates `update` columns (to the inserted row's values) when the row's `key`
   * collides with a stored one: `ON CONFLICT (key) DO UPDATE SET …` or `ON DUPLICATE KEY UPDATE …`.
   */
  onConflictUpdate(key: readonly string[], update: readonly string[], extra?: string): string;
  /** The tail of an INSERT that keeps the stored row when `key` collides (and fails on nothing else). */
  onConflictIgnore(key: readonly string[]): string;

  /**
   * Makes the rest of the transaction mutually exclusive, across every server on the database, with other
   * transactions that call it with any of the same keys; released when the transaction ends (see sql.ts).
   */
  serializeOn(tx: Tx, keys: readonly string[]): Promise<void>;
  /**
   * Row-lock clauses appended to a SELECT of node rows ('' where write transactions are serialised anyway, SQLite):
   * writers that link to a node read it `FOR SHARE`, a deletion locks the nodes it deletes `FOR UPDATE`, so a link to
   * a node being deleted waits for the deletion and then finds the node gone (see lifecycle/execute.ts).
   */
  readonly shareLock: string;
  readonly updateLock: string;
  /**
   * What follows the table name in those locking SELECTs so they read the rows through the primary key: InnoDB's
   * shared lock through a covering secondary index would lock only that index's entry, never meeting a FOR UPDATE
   * taken through the primary key.
   */
  readonly primaryKeyHint: string;
  /**
   * Whether those locking SELECTs name their ids as literal placeholders. InnoDB locks every row a locking read
   * scans: the one-parameter list (JSON_TABLE) is a join whose plan may walk the whole primary key, share-locking
   * every node and stalling every writer; `id IN (?, ?, …)` is a primary-key lookup per id that locks just those.
   */
  readonly lockByIdLiterals: boolean;
  /** Runs `body` so that a failing statement in it can be caught and the transaction continued. */
  withSavepoint<T>(tx: Tx, body: () => Promise<T>): Promise<T>;

  /** MLMD's storage of bytes (proto_value): base64 text where MLMD reads every column as text, raw bytes elsewhere. */
  encodeBytes(bytes: Uint8Array): SqlValue;
  decodeBytes(stored: SqlValue): Uint8Array;
  /** Whether DOUBLE columns hold NaN and ±Infinity (MySQL's do not). */
  readonly storesNonFiniteDoubles: boolean;

  /**
   * The ORDER BY expression that gives EventPath rows in insertion order (MLMD's EventPath has no ordinal: SQLite
   * orders by rowid; the other backends get an insertion-order column of ours, see schema.ts).
   */
  readonly eventPathOrder: string;

  /**
   * Width of the property tables' int_value column: 64 in databases we create; 32 where ml-metadata created the
   * database on PostgreSQL or MySQL (its DDL declares INT there). Known after `inspectSchema`.
   */
  readonly intValueBits: 32 | 64;
  /** Reads what the adapter needs to know about an existing schema (run at start-up, after it is complete). */
  inspectSchema(tx: Tx): Promise<void>;

  readonly ddl: SchemaDdl;
}

/** Schema statements and catalog reads of one dialect. */
export interface SchemaDdl {
  /** The column names of `table` (empty when the table does not exist). */
  columnsOf(tx: Tx, table: string): Promise<Set<string>>;
  /** The names of the indexes of `table`. */
  indexesOf(tx: Tx, table: string): Promise<Set<string>>;
  createTable(table: TableSpec): string;
  /** CREATE INDEX for `index`, or undefined when it has no use on this dialect. */
  createIndex(index: IndexSpec): string | undefined;
  dropIndex(index: IndexSpec): string;
  /** ALTER TABLE … ADD COLUMN for `column` of `table`. */
  addColumn(table: string, column: ColumnSpec): string;
  /**
   * Our additions to a database created elsewhere (ml-metadata), brought in at start-up: statements to run when
   * the columns of EventPath lack our insertion-order column (none where the dialect needs none).
   */
  completeUpstreamSchema(eventPathColumns: Set<string>): string[];
}

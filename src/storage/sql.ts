/**
 * SQL helpers for the domains, so dialect differences stay in storage/: each delegates to the transaction's adapter
 * (adapter.ts), which every backend implements in full.
 */
import type { ListSql } from './adapter';
import type { Clock, Database, Row, SqlValue, Tx } from './database';

/**
 * A subquery yielding the given integers, bound as ONE parameter whatever the list's length (no statement per list
 * size, no parameter limits): `x IN (${idSet(tx, ...).sql})`.
 */
export function idSet(tx: Tx, ids: readonly bigint[]): ListSql {
  return tx.adapter.idSet(ids);
}

/** The same for strings. */
export function textSet(tx: Tx, values: readonly string[]): ListSql {
  return tx.adapter.textSet(values);
}

/** Milliseconds since the Unix epoch, as MLMD stores every timestamp: the transaction's clock, else the system's. */
export function nowMillis(tx: Tx): bigint {
  return BigInt(tx.clock ? tx.clock() : Date.now());
}

/** A transaction of `inner` seen through a Tx of its own, with `extra` fields (a clock), for Database wrappers. */
export function delegatingTx(inner: Tx, extra: Pick<Tx, 'clock'> = {}): Tx {
  return {
    dialect: inner.dialect,
    adapter: inner.adapter,
    clock: extra.clock ?? inner.clock,
    all: <R extends Row = Row>(sql: string, params?: readonly SqlValue[]) => inner.all<R>(sql, params),
    get: <R extends Row = Row>(sql: string, params?: readonly SqlValue[]) => inner.get<R>(sql, params),
    run: (sql: string, params?: readonly SqlValue[]) => inner.run(sql, params),
  };
}

/** `db` with every transaction's timestamps taken from `clock` (tests: time that moves on when told to). */
export function withClock(db: Database, clock: Clock): Database {
  return {
    dialect: db.dialect,
    adapter: db.adapter,
    close: () => db.close(),
    transaction: (mode, body) => db.transaction(mode, (tx) => body(delegatingTx(tx, { clock }))),
  };
}

/**
 * Makes the rest of the transaction mutually exclusive, across every server on the database, with other
 * transactions that call it with any of the same keys; the locks are released when the transaction commits or rolls
 * back, and taken in one fixed order so two multi-key callers cannot deadlock. Used where MLMD's schema has no unique
 * constraint to arbitrate a read-then-insert (types), and for get-or-create of contexts. Call it before the read:
 * write transactions run at READ COMMITTED, so the statements after it see what the previous holder committed.
 * On SQLite it does nothing: write transactions there are already serialised (BEGIN IMMEDIATE).
 */
export async function serializeOn(tx: Tx, keys: readonly string[]): Promise<void> {
  if (keys.length > 0) await tx.adapter.serializeOn(tx, keys);
}

/** Whether this backend takes row locks (not SQLite, whose writing transactions run one at a time). */
export function hasRowLocks(tx: Tx): boolean {
  return tx.adapter.updateLock !== '';
}

/**
 * The ids among `ids` stored in node table `table`, read with their rows locked for the rest of the transaction:
 * `share` by a writer about to link to existing nodes, `update` by a deletion (lifecycle/). The two conflict, so a
 * link and a deletion of its node never interleave: the deletion waits for the link to commit and sees it, or deletes
 * first and the writer finds the node gone. A plain read on SQLite (serialised writers). One statement, in id order.
 */
export async function lockedIds(
  tx: Tx,
  table: 'Artifact' | 'Execution' | 'Context',
  ids: readonly bigint[],
  mode: 'share' | 'update',
): Promise<Set<bigint>> {
  if (ids.length === 0) return new Set();
  const unique = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lock = mode === 'share' ? tx.adapter.shareLock : tx.adapter.updateLock;
  const select = (list: string) =>
    `SELECT id FROM ${table} ${tx.adapter.primaryKeyHint} WHERE id IN (${list}) ORDER BY id ${lock}`;
  const locked = new Set<bigint>();
  if (!tx.adapter.lockByIdLiterals) {
    const set = idSet(tx, unique);
    for (const r of await tx.all<{ id: bigint }>(select(set.sql), [set.param])) locked.add(r.id);
    return locked;
  }
  // In id order, chunk after chunk: every transaction takes its locks in the same order.
  for (const { start, size } of rowChunks(unique.length)) {
    const chunk = unique.slice(start, start + size);
    const rows = await tx.all<{ id: bigint }>(select(chunk.map(() => '?').join(', ')), chunk);
    for (const r of rows) locked.add(r.id);
  }
  return locked;
}

/**
 * Runs `body` so that a failing statement in it can be caught and the transaction continued (PostgreSQL aborts the
 * whole transaction on an error unless a savepoint was set; SQLite and MySQL undo just the failed statement).
 */
export function withSavepoint<T>(tx: Tx, body: () => Promise<T>): Promise<T> {
  return tx.adapter.withSavepoint(tx, body);
}

/**
 * Runs a single-row `INSERT` (without RETURNING) and returns the new row's id: RETURNING id where the dialect has
 * it, the statement's AUTO_INCREMENT id on MySQL.
 */
export async function insertReturningId(tx: Tx, insert: string, params: readonly SqlValue[]): Promise<bigint> {
  if (tx.adapter.supportsReturning) {
    const row = await tx.get<{ id: bigint }>(`${insert} RETURNING id`, params);
    return row!.id;
  }
  const result = await tx.run(insert, params);
  if (result.insertId === undefined) throw new Error('the backend reported no id for an INSERT');
  return result.insertId;
}

/**
 * Runs a (multi-row) `INSERT` (without RETURNING) and returns `columns` of the rows it inserted, in no particular
 * order: RETURNING where the dialect has it; otherwise `findInserted(firstId)` reads them back, given the id the
 * statement's first row received (ids of one statement are at least that), e.g. through a unique key.
 */
export async function insertReturning<R extends Row>(
  tx: Tx,
  insert: string,
  params: readonly SqlValue[],
  columns: readonly string[],
  findInserted: (firstId: bigint) => Promise<R[]>,
): Promise<R[]> {
  if (tx.adapter.supportsReturning) return tx.all<R>(`${insert} RETURNING ${columns.join(', ')}`, params);
  const result = await tx.run(insert, params);
  if (result.insertId === undefined) throw new Error('the backend reported no id for an INSERT');
  return findInserted(result.insertId);
}

/**
 * Runs a multi-row `INSERT` (without RETURNING) of `rows` rows and returns their ids in VALUES order; undefined,
 * without running it, where the backend cannot tell them (insert the rows one by one then).
 *
 * One INSERT assigns its rows ascending ids in VALUES order: SQLite's rowid is max + 1 per row under the write lock,
 * PostgreSQL evaluates the serial default row by row as the VALUES list is scanned, so the sorted RETURNING ids line
 * up with the rows whatever order RETURNING lists them in; MySQL's are computed from the first (`multiRowIdStep`).
 */
export async function insertRowsReturningIds(
  tx: Tx,
  insert: string,
  params: readonly SqlValue[],
  rows: number,
): Promise<bigint[] | undefined> {
  if (tx.adapter.supportsReturning) {
    const got = await tx.all<{ id: bigint }>(`${insert} RETURNING id`, params);
    return got.map((r) => r.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  const step = tx.adapter.multiRowIdStep;
  if (step === undefined) return undefined;
  const result = await tx.run(insert, params);
  if (result.insertId === undefined) throw new Error('the backend reported no id for an INSERT');
  const first = result.insertId;
  return Array.from({ length: rows }, (_, i) => first + BigInt(i) * step);
}

/**
 * The tail of an INSERT that overwrites `update` columns with the new row's values when `key` collides with a
 * stored row (plus `extra` assignments, SQL text of ours).
 */
export function onConflictUpdate(tx: Tx, key: readonly string[], update: readonly string[], extra?: string): string {
  return tx.adapter.onConflictUpdate(key, update, extra);
}

/** The tail of an INSERT that leaves a stored row alone when `key` collides. */
export function onConflictIgnore(tx: Tx, key: readonly string[]): string {
  return tx.adapter.onConflictIgnore(key);
}

/** `CAST(? AS <64-bit integer>)` in the transaction's dialect. */
export function bigintParam(tx: Tx): string {
  return tx.adapter.bigintParam;
}

/**
 * Splits `count` rows into multi-row statement sizes: as many `max`-row chunks as fit, then the remainder as powers
 * of two. Each size is one statement text, so a backend's prepared-statement cache holds at most log2(max) + 1 texts
 * per statement shape whatever the batch sizes requests bring.
 */
export function rowChunks(count: number, max = 512): Array<{ start: number; size: number }> {
  const chunks: Array<{ start: number; size: number }> = [];
  let start = 0;
  while (count - start >= max) {
    chunks.push({ start, size: max });
    start += max;
  }
  for (let size = max >> 1; size >= 1; size >>= 1) {
    if (count - start >= size) {
      chunks.push({ start, size });
      start += size;
    }
  }
  return chunks;
}

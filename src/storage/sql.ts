/**
 * Small SQL helpers shared by the domains, so dialect differences stay in storage/.
 */
import { Dialect, SqlValue, Tx } from './database';

/**
 * A subquery yielding the given integers, bound as ONE parameter whatever the list's length (no statement per list
 * size, no parameter limits): `x IN (${idSet(...).sql})`.
 *
 * On PostgreSQL the list is an array literal expanded by unnest: the planner knows an array constant's length, so a
 * short list joins through the primary key. (With json_array_elements it assumed 100 rows and, on tables whose
 * statistics lag behind, hashed a full scan of the table: single-id reads then slowed as the table grew.)
 */
export function idSet(dialect: Dialect, ids: readonly bigint[]): { sql: string; param: SqlValue } {
  if (dialect === 'postgres') return { sql: 'SELECT unnest(CAST(? AS bigint[]))', param: `{${ids.join(',')}}` };
  return { sql: 'SELECT value FROM json_each(?)', param: `[${ids.join(',')}]` };
}

/** The same for strings. */
export function textSet(dialect: Dialect, values: readonly string[]): { sql: string; param: SqlValue } {
  if (dialect === 'postgres') return { sql: 'SELECT unnest(CAST(? AS text[]))', param: pgTextArray(values) };
  return { sql: 'SELECT value FROM json_each(?)', param: JSON.stringify(values) };
}

/** A PostgreSQL array literal of strings: every element double-quoted, with `"` and `\` escaped. */
function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** Milliseconds since the Unix epoch, as MLMD stores every timestamp. */
export function nowMillis(): bigint {
  return BigInt(Date.now());
}

/**
 * Makes the rest of the transaction mutually exclusive, across every server on the database, with other
 * transactions that call it with any of the same keys: transaction-scoped advisory locks on PostgreSQL (released at
 * COMMIT/ROLLBACK), taken in one statement in a fixed order so two multi-key callers cannot deadlock. Used where
 * MLMD's schema has no unique constraint to arbitrate a read-then-insert (types), and for get-or-create of contexts.
 * Call it before the read: under READ COMMITTED the statements after it see what the previous holder committed.
 * On SQLite it does nothing: write transactions there are already serialised (BEGIN IMMEDIATE).
 */
export async function serializeOn(tx: Tx, keys: readonly string[]): Promise<void> {
  if (tx.dialect !== 'postgres' || keys.length === 0) return;
  await tx.all(
    'SELECT pg_advisory_xact_lock(h) AS locked FROM ' +
      '(SELECT DISTINCT hashtextextended(k, 0) AS h FROM json_array_elements_text(?::json) AS k ORDER BY h) AS s',
    [JSON.stringify(keys)],
  );
}

/**
 * Runs `body` so that a failing statement in it can be caught and the transaction continued (PostgreSQL aborts the
 * whole transaction on an error unless a savepoint was set; SQLite undoes just the failed statement).
 */
export async function withSavepoint<T>(tx: Tx, body: () => Promise<T>): Promise<T> {
  if (tx.dialect !== 'postgres') return body();
  await tx.run('SAVEPOINT mlmd_stmt');
  try {
    const result = await body();
    await tx.run('RELEASE SAVEPOINT mlmd_stmt');
    return result;
  } catch (e) {
    await tx.run('ROLLBACK TO SAVEPOINT mlmd_stmt');
    throw e;
  }
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

/**
 * Creating and dropping secondary indexes on any dialect, checked against the catalog first (MySQL's CREATE INDEX
 * and DROP INDEX have no IF [NOT] EXISTS). Index names compare without case: PostgreSQL folds them, MySQL ignores it.
 */
import type { Tx } from './database';
import type { IndexSpec } from './schema';

async function existingIndexes(tx: Tx, indexes: readonly IndexSpec[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const table of new Set(indexes.map((i) => i.table))) {
    for (const name of await tx.adapter.ddl.indexesOf(tx, table)) names.add(`${table}\u0000${name.toLowerCase()}`);
  }
  return names;
}

const key = (i: IndexSpec) => `${i.table}\u0000${i.name.toLowerCase()}`;

/** Creates the indexes that are missing (those a dialect has no use for are skipped). */
export async function createIndexes(tx: Tx, indexes: readonly IndexSpec[]): Promise<void> {
  const wanted = indexes.filter((i) => tx.adapter.ddl.createIndex(i) !== undefined);
  if (wanted.length === 0) return;
  const existing = await existingIndexes(tx, wanted);
  for (const index of wanted) if (!existing.has(key(index))) await tx.run(tx.adapter.ddl.createIndex(index)!);
}

/** Drops the indexes that exist. */
export async function dropIndexes(tx: Tx, indexes: readonly IndexSpec[]): Promise<void> {
  if (indexes.length === 0) return;
  const existing = await existingIndexes(tx, indexes);
  for (const index of indexes) if (existing.has(key(index))) await tx.run(tx.adapter.ddl.dropIndex(index));
}

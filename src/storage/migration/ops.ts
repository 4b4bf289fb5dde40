/**
 * What migration steps are made of: operations on a transaction, dialect-neutral where the SQL is (statements,
 * tables created from the schema description by the adapter's DDL, tables dropped, columns added).
 */
import type { Tx } from '../database';
import type { ColumnSpec, TableSpec } from '../schema';

export type Op = (tx: Tx) => Promise<void>;

/** STEPS[v].up goes v-1 -> v; STEPS[v].down goes v -> v-1. */
export interface Step {
  up: Op[];
  down: Op[];
}

export type Steps = Record<number, Step>;

export const sql =
  (...statements: string[]): Op =>
  async (tx) => {
    for (const s of statements) await tx.run(s);
  };

export const createTables =
  (...tables: TableSpec[]): Op =>
  async (tx) => {
    for (const t of tables) await tx.run(tx.adapter.ddl.createTable(t));
  };

export const dropTables = (...names: string[]): Op => sql(...names.map((n) => `DROP TABLE IF EXISTS ${n}`));

export const addColumns =
  (tables: readonly string[], columns: readonly ColumnSpec[]): Op =>
  async (tx) => {
    for (const t of tables) for (const c of columns) await tx.run(tx.adapter.ddl.addColumn(t, c));
  };

/**
 * v10 -> v9 on every dialect: property rows that only held a proto or bool value are deleted, since with no value
 * left they could not be read back.
 */
export const deleteRowsWithoutV9Value = (table: string): Op =>
  sql(
    `DELETE FROM ${table} WHERE int_value IS NULL AND double_value IS NULL AND string_value IS NULL AND byte_value IS NULL`,
  );

/** v8: events become unique per (artifact, execution, type); of duplicates the newest (highest id) stays. */
export const DROP_ORPHAN_EVENT_PATHS = sql('DELETE FROM EventPath WHERE event_id NOT IN (SELECT id FROM Event)');

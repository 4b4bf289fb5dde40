/**
 * SQLite's schema statements: MLMD's own declared types (schema.ts keeps them as data), so files we create are
 * indistinguishable from files the ml-metadata package creates, and the catalog read through pragma functions.
 */
import type { SchemaDdl } from '../adapter';
import type { Tx } from '../database';
import type { ColumnSpec, IndexSpec, TableSpec } from '../schema';

export function sqliteCreateTable(t: TableSpec): string {
  const parts = t.columns.map((c) => `\`${c.name}\` ${c.sqliteType}${c.constraint ? ' ' + c.constraint : ''}`);
  return `CREATE TABLE IF NOT EXISTS \`${t.name}\` (${[...parts, ...(t.constraints ?? [])].join(', ')})`;
}

export function sqliteCreateIndex(i: IndexSpec): string {
  const cols = i.columns.map((c) => `\`${c}\`${i.collate ? ` COLLATE ${i.collate}` : ''}`).join(', ');
  return `CREATE INDEX IF NOT EXISTS \`${i.name}\` ON \`${i.table}\`(${cols})${i.where ? ' WHERE ' + i.where : ''}`;
}

export const SQLITE_DDL: SchemaDdl = {
  async columnsOf(tx: Tx, table: string) {
    const rows = await tx.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [table]);
    return new Set(rows.map((r) => r.name));
  },
  async indexesOf(tx: Tx, table: string) {
    const rows = await tx.all<{ name: string }>('SELECT name FROM pragma_index_list(?)', [table]);
    return new Set(rows.map((r) => r.name));
  },
  createTable: sqliteCreateTable,
  createIndex: sqliteCreateIndex,
  dropIndex: (i: IndexSpec) => `DROP INDEX IF EXISTS \`${i.name}\``,
  addColumn: (table: string, c: ColumnSpec) =>
    `ALTER TABLE \`${table}\` ADD COLUMN \`${c.name}\` ${c.sqliteType}${c.constraint ? ' ' + c.constraint : ''}`,
  // EventPath's steps are ordered by rowid: nothing to add.
  completeUpstreamSchema: () => [],
};

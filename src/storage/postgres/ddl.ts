/**
 * PostgreSQL's schema statements, derived from the v10 description (schema.ts) with upstream's PostgreSQL types,
 * and the catalog read through information_schema (PostgreSQL folds the unquoted CamelCase names to lower case).
 */
import type { SchemaDdl } from '../adapter';
import type { AlterDdl } from '../migration/alter-steps';
import type { Tx } from '../database';
import {
  type ColumnSpec,
  EVENTPATH_ORDER_COLUMN,
  type IndexSpec,
  NAMED_UNIQUE_CONSTRAINTS,
  type TableSpec,
} from '../schema';

/**
 * A column's PostgreSQL type as upstream declares it (spec §1.11), with one deliberate difference: `int_value` is
 * BIGINT in databases we create, so int64 property values round-trip exactly as on SQLite (upstream's INT is 32-bit
 * and rejects larger values; databases created by ml-metadata keep their INT and are served as they are).
 */
export function pgColumnType(c: ColumnSpec): string {
  if (c.constraint === 'PRIMARY KEY AUTOINCREMENT') return c.int64 ? 'BIGSERIAL PRIMARY KEY' : 'SERIAL PRIMARY KEY';
  if (c.name === 'int_value') return 'BIGINT';
  const constraint = c.constraint ? ' ' + c.constraint : '';
  if (c.int64) return 'BIGINT' + constraint;
  switch (c.sqliteType) {
    case 'TINYINT(1)':
      return (c.name === 'type_kind' ? 'SMALLINT' : 'BOOLEAN') + constraint;
    case 'INTEGER':
    case 'INT':
      return 'INT' + constraint;
    case 'DOUBLE':
      return 'DOUBLE PRECISION' + constraint;
    case 'BLOB':
      return 'BYTEA' + constraint;
    default:
      return c.sqliteType + constraint;
  }
}

export function pgCreateTable(t: TableSpec): string {
  const parts = t.columns.map((c) => `${c.name} ${pgColumnType(c)}`);
  if (t.name === 'EventPath') parts.push(`${EVENTPATH_ORDER_COLUMN} BIGSERIAL NOT NULL`);
  for (const constraint of t.constraints ?? []) {
    const text = constraint.replace(/`/g, '');
    const name = NAMED_UNIQUE_CONSTRAINTS[t.name];
    parts.push(name && text.startsWith('UNIQUE') ? `CONSTRAINT ${name} ${text}` : text);
  }
  return `CREATE TABLE IF NOT EXISTS ${t.name} (${parts.join(', ')})`;
}

/**
 * An index on PostgreSQL, or undefined when it has no use there. Upstream's property indexes are not partial on
 * PostgreSQL; the NOCASE indexes serve SQLite's LIKE only (PostgreSQL's ILIKE cannot use a btree).
 *
 * Deliberate difference: upstream's idx_*_property_string is a btree over (name, is_custom_property, string_value),
 * so a string property longer than about 2.7 kB (after compression) fails to insert ("index row requires N bytes").
 * In databases we create these three are hash indexes on string_value (equality lookups, any length). Databases
 * created by ml-metadata keep upstream's index, and with it that limit.
 */
export function pgCreateIndex(i: IndexSpec): string | undefined {
  if (i.collate) return undefined;
  if (i.pgHash) return `CREATE INDEX IF NOT EXISTS ${i.name} ON ${i.table} USING hash (${i.pgHash})`;
  return `CREATE INDEX IF NOT EXISTS ${i.name} ON ${i.table} (${i.columns.join(', ')})`;
}

export const POSTGRES_DDL: SchemaDdl = {
  async columnsOf(tx: Tx, table: string) {
    const rows = await tx.all<{ name: string }>(
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?',
      [table.toLowerCase()],
    );
    return new Set(rows.map((r) => r.name));
  },
  async indexesOf(tx: Tx, table: string) {
    const rows = await tx.all<{ name: string }>(
      'SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?',
      [table.toLowerCase()],
    );
    return new Set(rows.map((r) => r.name));
  },
  createTable: pgCreateTable,
  createIndex: pgCreateIndex,
  dropIndex: (i: IndexSpec) => `DROP INDEX IF EXISTS ${i.name}`,
  addColumn: (table: string, c: ColumnSpec) => `ALTER TABLE ${table} ADD COLUMN ${c.name} ${pgColumnType(c)}`,
  completeUpstreamSchema: (eventPathColumns) =>
    eventPathColumns.has(EVENTPATH_ORDER_COLUMN)
      ? []
      : [`ALTER TABLE EventPath ADD COLUMN ${EVENTPATH_ORDER_COLUMN} BIGSERIAL NOT NULL`],
};

/** PostgreSQL's ALTER TABLE clauses for the migration steps (migration/alter-steps.ts). */
export const POSTGRES_ALTER: AlterDdl = {
  alter: (table, clauses) => `ALTER TABLE ${table} ${clauses.join(', ')}`,
  addColumn: (c) => `ADD COLUMN ${c.name} ${pgColumnType(c)}`,
  dropColumn: (name) => `DROP COLUMN ${name}`,
  addUnique: (name, columns) => `ADD CONSTRAINT ${name} UNIQUE (${columns.join(', ')})`,
  dropUnique: (name) => `DROP CONSTRAINT IF EXISTS ${name}`,
  renameColumn: (table, from, to) => `ALTER TABLE ${table} RENAME COLUMN ${from} TO ${to.name}`,
  deleteDuplicateEvents:
    'DELETE FROM Event e1 USING Event e2 WHERE e1.artifact_id = e2.artifact_id AND e1.execution_id = e2.execution_id ' +
    'AND e1.type = e2.type AND e1.id < e2.id',
  // TEXT has no length limit.
  stringValueAt: () => [],
};

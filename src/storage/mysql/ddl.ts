/**
 * MySQL's schema statements, derived from the v10 description (schema.ts) with upstream's MySQL types (MEDIUMTEXT
 * and MEDIUMBLOB property values, prefix indexes on TEXT), and the catalog read through information_schema. Tables
 * take the database's default engine and character set, as upstream's do.
 *
 * Deliberate differences in databases we create, each harmless to the ml-metadata package: int_value is BIGINT (its
 * INT cannot hold int64; databases it created keep INT, see values.ts), and EventPath has an AUTO_INCREMENT
 * `step_order` column (the insertion order; added at start-up to databases it created, see schema.ts).
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

/** TEXT columns: MySQL indexes only a prefix of them (255 characters, as upstream). */
const TEXT_COLUMNS = new Set(['uri', 'string_value']);
const PROPERTY_VALUE_COLUMNS = new Set(['string_value', 'byte_value', 'proto_value']);

export function mysqlColumnType(c: ColumnSpec): string {
  if (c.constraint === 'PRIMARY KEY AUTOINCREMENT') return `${c.int64 ? 'BIGINT' : 'INT'} PRIMARY KEY AUTO_INCREMENT`;
  if (c.name === 'int_value') return 'BIGINT';
  const constraint = c.constraint ? ' ' + c.constraint : '';
  if (c.int64) return 'BIGINT' + constraint;
  switch (c.sqliteType) {
    case 'INTEGER':
    case 'INT':
      return 'INT' + constraint;
    case 'TEXT':
      return (PROPERTY_VALUE_COLUMNS.has(c.name) ? 'MEDIUMTEXT' : 'TEXT') + constraint;
    case 'BLOB':
      return 'MEDIUMBLOB' + constraint;
    default:
      return c.sqliteType + constraint;
  }
}

export function mysqlCreateTable(t: TableSpec): string {
  const parts = t.columns.map((c) => `\`${c.name}\` ${mysqlColumnType(c)}`);
  if (t.name === 'EventPath') parts.push(`\`${EVENTPATH_ORDER_COLUMN}\` BIGINT NOT NULL AUTO_INCREMENT UNIQUE`);
  for (const constraint of t.constraints ?? []) {
    const name = NAMED_UNIQUE_CONSTRAINTS[t.name];
    parts.push(name && constraint.startsWith('UNIQUE') ? `CONSTRAINT ${name} ${constraint}` : constraint);
  }
  return `CREATE TABLE IF NOT EXISTS \`${t.name}\` (${parts.join(', ')})`;
}

/** An index on MySQL, or undefined when it has no use there (the NOCASE ones: MySQL's collations compare so). */
export function mysqlCreateIndex(i: IndexSpec): string | undefined {
  if (i.collate) return undefined;
  const cols = i.columns.map((c) => (TEXT_COLUMNS.has(c) ? `\`${c}\`(255)` : `\`${c}\``)).join(', ');
  return `CREATE INDEX \`${i.name}\` ON \`${i.table}\` (${cols})`;
}

export const MYSQL_DDL: SchemaDdl = {
  async columnsOf(tx: Tx, table: string) {
    const rows = await tx.all<{ name: string }>(
      'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [table],
    );
    return new Set(rows.map((r) => r.name));
  },
  async indexesOf(tx: Tx, table: string) {
    const rows = await tx.all<{ name: string }>(
      'SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [table],
    );
    return new Set(rows.map((r) => r.name));
  },
  createTable: mysqlCreateTable,
  createIndex: mysqlCreateIndex,
  dropIndex: (i: IndexSpec) => `DROP INDEX \`${i.name}\` ON \`${i.table}\``,
  addColumn: (table: string, c: ColumnSpec) =>
    `ALTER TABLE \`${table}\` ADD COLUMN \`${c.name}\` ${mysqlColumnType(c)}`,
  completeUpstreamSchema: (eventPathColumns) =>
    eventPathColumns.has(EVENTPATH_ORDER_COLUMN)
      ? []
      : [`ALTER TABLE \`EventPath\` ADD COLUMN \`${EVENTPATH_ORDER_COLUMN}\` BIGINT NOT NULL AUTO_INCREMENT UNIQUE`],
};

/** MySQL's ALTER TABLE clauses for the migration steps (migration/alter-steps.ts). */
export const MYSQL_ALTER: AlterDdl = {
  alter: (table, clauses) => `ALTER TABLE \`${table}\` ${clauses.join(', ')}`,
  addColumn: (c) => `ADD COLUMN \`${c.name}\` ${mysqlColumnType(c)}`,
  dropColumn: (name) => `DROP COLUMN \`${name}\``,
  addUnique: (name, columns) => `ADD CONSTRAINT ${name} UNIQUE (${columns.map((c) => `\`${c}\``).join(', ')})`,
  dropUnique: (name) => `DROP INDEX ${name}`,
  renameColumn: (table, from, to) =>
    `ALTER TABLE \`${table}\` CHANGE COLUMN \`${from}\` \`${to.name}\` ${mysqlColumnType(to)}`,
  deleteDuplicateEvents:
    'DELETE e1 FROM Event e1 JOIN Event e2 ON e1.artifact_id = e2.artifact_id AND e1.execution_id = e2.execution_id ' +
    'AND e1.type = e2.type AND e1.id < e2.id',
  // TEXT holds 65535 bytes: longer values are cut (to 16383 characters, which fit in any character set) going down.
  stringValueAt: (table, version) =>
    version >= 7
      ? [`ALTER TABLE \`${table}\` MODIFY COLUMN \`string_value\` MEDIUMTEXT`]
      : [
          `UPDATE \`${table}\` SET \`string_value\` = LEFT(\`string_value\`, 16383) WHERE LENGTH(\`string_value\`) > 65535`,
          `ALTER TABLE \`${table}\` MODIFY COLUMN \`string_value\` TEXT`,
        ],
};

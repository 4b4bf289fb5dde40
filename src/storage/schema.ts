/**
 * MLMD's relational schema, version 10, as data: one description drives table creation, the start-up probe that
 * checks an existing file has every table and column, and (later) the PostgreSQL dialect.
 *
 * Declared column types are the ones MLMD writes into sqlite_master, so files we create are indistinguishable from
 * files the ml-metadata package creates (SQLite derives column affinity from these strings).
 */

export const SCHEMA_VERSION = 10;

export interface ColumnSpec {
  name: string;
  /** SQLite declared type, exactly as MLMD declares it. */
  sqliteType: string;
  /** Extra column constraint text (NOT NULL, DEFAULT, UNIQUE, PRIMARY KEY AUTOINCREMENT). */
  constraint?: string;
  /** True for columns MLMD's start-up probe does not check (added by later migrations without a probe). */
  unprobed?: boolean;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /** Table constraints: composite PRIMARY KEY / UNIQUE. */
  constraints?: string[];
}

const id: ColumnSpec = { name: 'id', sqliteType: 'INTEGER', constraint: 'PRIMARY KEY AUTOINCREMENT' };
const timestamps: ColumnSpec[] = [
  { name: 'create_time_since_epoch', sqliteType: 'INT', constraint: 'NOT NULL DEFAULT 0' },
  { name: 'last_update_time_since_epoch', sqliteType: 'INT', constraint: 'NOT NULL DEFAULT 0' },
];
const externalId: ColumnSpec = {
  name: 'external_id',
  sqliteType: 'VARCHAR(255)',
  constraint: 'UNIQUE',
  unprobed: true,
};

function propertyTable(table: string, owner: string): TableSpec {
  return {
    name: table,
    columns: [
      { name: owner, sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'name', sqliteType: 'VARCHAR(255)', constraint: 'NOT NULL' },
      { name: 'is_custom_property', sqliteType: 'TINYINT(1)', constraint: 'NOT NULL' },
      { name: 'int_value', sqliteType: 'INT' },
      { name: 'double_value', sqliteType: 'DOUBLE' },
      { name: 'string_value', sqliteType: 'TEXT' },
      { name: 'byte_value', sqliteType: 'BLOB' },
      { name: 'proto_value', sqliteType: 'BLOB' },
      { name: 'bool_value', sqliteType: 'BOOLEAN' },
    ],
    constraints: [`PRIMARY KEY (\`${owner}\`, \`name\`, \`is_custom_property\`)`],
  };
}

export const TABLES: TableSpec[] = [
  {
    name: 'Type',
    columns: [
      id,
      { name: 'name', sqliteType: 'VARCHAR(255)', constraint: 'NOT NULL' },
      { name: 'version', sqliteType: 'VARCHAR(255)' },
      { name: 'type_kind', sqliteType: 'TINYINT(1)', constraint: 'NOT NULL' },
      { name: 'description', sqliteType: 'TEXT' },
      { name: 'input_type', sqliteType: 'TEXT' },
      { name: 'output_type', sqliteType: 'TEXT' },
      externalId,
    ],
  },
  {
    name: 'TypeProperty',
    columns: [
      { name: 'type_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'name', sqliteType: 'VARCHAR(255)', constraint: 'NOT NULL' },
      { name: 'data_type', sqliteType: 'INT', constraint: 'NULL' },
    ],
    constraints: ['PRIMARY KEY (`type_id`, `name`)'],
  },
  {
    name: 'ParentType',
    columns: [
      { name: 'type_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'parent_type_id', sqliteType: 'INT', constraint: 'NOT NULL' },
    ],
    constraints: ['PRIMARY KEY (`type_id`, `parent_type_id`)'],
  },
  {
    name: 'Artifact',
    columns: [
      id,
      { name: 'type_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'uri', sqliteType: 'TEXT' },
      { name: 'state', sqliteType: 'INT' },
      { name: 'name', sqliteType: 'VARCHAR(255)' },
      externalId,
      ...timestamps,
    ],
    constraints: ['UNIQUE(`type_id`, `name`)'],
  },
  propertyTable('ArtifactProperty', 'artifact_id'),
  {
    name: 'Execution',
    columns: [
      id,
      { name: 'type_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'last_known_state', sqliteType: 'INT' },
      { name: 'name', sqliteType: 'VARCHAR(255)' },
      externalId,
      ...timestamps,
    ],
    constraints: ['UNIQUE(`type_id`, `name`)'],
  },
  propertyTable('ExecutionProperty', 'execution_id'),
  {
    name: 'Event',
    columns: [
      id,
      { name: 'artifact_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'execution_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'type', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'milliseconds_since_epoch', sqliteType: 'INT' },
    ],
    constraints: ['UNIQUE(`artifact_id`, `execution_id`, `type`)'],
  },
  {
    // No key and no ordinal: a path's steps are ordered by insertion (rowid).
    name: 'EventPath',
    columns: [
      { name: 'event_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'is_index_step', sqliteType: 'TINYINT(1)', constraint: 'NOT NULL' },
      { name: 'step_index', sqliteType: 'INT' },
      { name: 'step_key', sqliteType: 'TEXT' },
    ],
  },
  { name: 'MLMDEnv', columns: [{ name: 'schema_version', sqliteType: 'INTEGER', constraint: 'PRIMARY KEY' }] },
  {
    name: 'Context',
    columns: [
      id,
      { name: 'type_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'name', sqliteType: 'VARCHAR(255)', constraint: 'NOT NULL' },
      externalId,
      ...timestamps,
    ],
    constraints: ['UNIQUE(`type_id`, `name`)'],
  },
  propertyTable('ContextProperty', 'context_id'),
  {
    name: 'ParentContext',
    columns: [
      { name: 'context_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'parent_context_id', sqliteType: 'INT', constraint: 'NOT NULL' },
    ],
    constraints: ['PRIMARY KEY (`context_id`, `parent_context_id`)'],
  },
  {
    name: 'Association',
    columns: [
      id,
      { name: 'context_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'execution_id', sqliteType: 'INT', constraint: 'NOT NULL' },
    ],
    constraints: ['UNIQUE(`context_id`, `execution_id`)'],
  },
  {
    name: 'Attribution',
    columns: [
      id,
      { name: 'context_id', sqliteType: 'INT', constraint: 'NOT NULL' },
      { name: 'artifact_id', sqliteType: 'INT', constraint: 'NOT NULL' },
    ],
    constraints: ['UNIQUE(`context_id`, `artifact_id`)'],
  },
];

export interface IndexSpec {
  name: string;
  table: string;
  columns: string[];
  /** Collation of the indexed columns (default: the column's, BINARY). */
  collate?: 'NOCASE';
  where?: string;
  /**
   * PostgreSQL only: a hash index on this one column instead (no size limit: a btree entry must fit in a third of a
   * page, so a btree over TEXT rejects long values).
   */
  pgHash?: string;
}

function propertyIndexes(kind: string, table: string): IndexSpec[] {
  return (['int', 'double', 'string'] as const).map((v) => ({
    name: `idx_${kind}_property_${v}`,
    table,
    columns: ['name', 'is_custom_property', `${v}_value`],
    where: `\`${v}_value\` IS NOT NULL`,
    ...(v === 'string' ? { pgHash: 'string_value' } : {}),
  }));
}

/** MLMD's 24 secondary indexes at v10. */
export const UPSTREAM_INDEXES: IndexSpec[] = [
  { name: 'idx_artifact_uri', table: 'Artifact', columns: ['uri'] },
  { name: 'idx_artifact_create_time_since_epoch', table: 'Artifact', columns: ['create_time_since_epoch'] },
  { name: 'idx_artifact_last_update_time_since_epoch', table: 'Artifact', columns: ['last_update_time_since_epoch'] },
  { name: 'idx_event_execution_id', table: 'Event', columns: ['execution_id'] },
  { name: 'idx_parentcontext_parent_context_id', table: 'ParentContext', columns: ['parent_context_id'] },
  { name: 'idx_type_name', table: 'Type', columns: ['name'] },
  { name: 'idx_execution_create_time_since_epoch', table: 'Execution', columns: ['create_time_since_epoch'] },
  { name: 'idx_execution_last_update_time_since_epoch', table: 'Execution', columns: ['last_update_time_since_epoch'] },
  { name: 'idx_context_create_time_since_epoch', table: 'Context', columns: ['create_time_since_epoch'] },
  { name: 'idx_context_last_update_time_since_epoch', table: 'Context', columns: ['last_update_time_since_epoch'] },
  { name: 'idx_eventpath_event_id', table: 'EventPath', columns: ['event_id'] },
  ...propertyIndexes('artifact', 'ArtifactProperty'),
  ...propertyIndexes('execution', 'ExecutionProperty'),
  ...propertyIndexes('context', 'ContextProperty'),
  { name: 'idx_type_external_id', table: 'Type', columns: ['external_id'] },
  { name: 'idx_artifact_external_id', table: 'Artifact', columns: ['external_id'] },
  { name: 'idx_execution_external_id', table: 'Execution', columns: ['external_id'] },
  { name: 'idx_context_external_id', table: 'Context', columns: ['external_id'] },
];

/**
 * Indexes we add on top of MLMD's, for the reads it leaves to full scans (links looked up from the node side).
 * They are ordinary indexes, so the ml-metadata package opens and writes our files unchanged (it never checks indexes).
 */
export const EXTRA_INDEXES: IndexSpec[] = [
  { name: 'idx_attribution_artifact_id', table: 'Attribution', columns: ['artifact_id'] },
  { name: 'idx_association_execution_id', table: 'Association', columns: ['execution_id'] },
  { name: 'idx_artifact_type_id', table: 'Artifact', columns: ['type_id', 'id'] },
  { name: 'idx_execution_type_id', table: 'Execution', columns: ['type_id', 'id'] },
  { name: 'idx_context_type_id', table: 'Context', columns: ['type_id', 'id'] },
  // filter_query `contexts_X.name = ...` (and listing contexts by name): without it the planner drives the neighbour
  // join from a full scan of Attribution / Association (MLMD's only name index is UNIQUE(type_id, name)).
  { name: 'idx_context_name', table: 'Context', columns: ['name'] },
  // filter_query `name LIKE 'prefix%'`: SQLite's LIKE is ASCII case-insensitive, so its prefix-range optimisation
  // needs a NOCASE index; the LIKE itself still filters, so results are unchanged.
  { name: 'idx_artifact_name_nocase', table: 'Artifact', columns: ['name'], collate: 'NOCASE' },
  { name: 'idx_execution_name_nocase', table: 'Execution', columns: ['name'], collate: 'NOCASE' },
  { name: 'idx_context_name_nocase', table: 'Context', columns: ['name'], collate: 'NOCASE' },
];

export function sqliteCreateTable(t: TableSpec): string {
  const parts = t.columns.map((c) => `\`${c.name}\` ${c.sqliteType}${c.constraint ? ' ' + c.constraint : ''}`);
  return `CREATE TABLE IF NOT EXISTS \`${t.name}\` (${[...parts, ...(t.constraints ?? [])].join(', ')})`;
}

export function sqliteCreateIndex(i: IndexSpec): string {
  const cols = i.columns.map((c) => `\`${c}\`${i.collate ? ` COLLATE ${i.collate}` : ''}`).join(', ');
  return `CREATE INDEX IF NOT EXISTS \`${i.name}\` ON \`${i.table}\`(${cols})${i.where ? ' WHERE ' + i.where : ''}`;
}

// ------------------------------------------------------------------------------------------------- PostgreSQL

/**
 * EventPath's insertion order on PostgreSQL. SQLite orders a path's steps by rowid; PostgreSQL has no stable row order
 * (ctid changes with updates and free-space reuse), so we add this column: a BIGSERIAL whose default numbers rows as
 * they are inserted. Upstream's INSERTs name their four columns, so it never touches it; its own reads (no ORDER BY)
 * still work. Databases created by ml-metadata get it at start-up (ALTER TABLE: existing rows are numbered in their
 * physical order, which is the order upstream itself reads them in).
 */
export const PG_EVENTPATH_ORDER_COLUMN = 'step_order';

/** The three named unique constraints of upstream's PostgreSQL DDL (they fold to lower case). */
const PG_CONSTRAINT_NAMES: Record<string, string> = {
  Artifact: 'UniqueArtifactTypeName',
  Execution: 'UniqueExecutionTypeName',
  Event: 'UniqueEvent',
};

const PG_BIGINT_COLUMNS = new Set([
  'create_time_since_epoch',
  'last_update_time_since_epoch',
  'milliseconds_since_epoch',
]);

/**
 * A column's PostgreSQL type as upstream declares it (spec §1.11), with one deliberate difference: `int_value` is
 * BIGINT in databases we create, so int64 property values round-trip exactly as on SQLite (upstream's INT is 32-bit
 * and rejects larger values; databases created by ml-metadata keep their INT and are served as they are).
 */
export function pgColumnType(c: ColumnSpec): string {
  if (c.constraint === 'PRIMARY KEY AUTOINCREMENT') return 'SERIAL PRIMARY KEY';
  if (c.name === 'int_value') return 'BIGINT';
  if (PG_BIGINT_COLUMNS.has(c.name)) return `BIGINT${c.constraint ? ' ' + c.constraint : ''}`;
  const constraint = c.constraint ? ' ' + c.constraint : '';
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
  if (t.name === 'EventPath') parts.push(`${PG_EVENTPATH_ORDER_COLUMN} BIGSERIAL NOT NULL`);
  for (const constraint of t.constraints ?? []) {
    const text = constraint.replace(/`/g, '');
    const name = PG_CONSTRAINT_NAMES[t.name];
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

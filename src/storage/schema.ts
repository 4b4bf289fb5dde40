/**
 * MLMD's relational schema, version 10, as data: one description drives table creation on every dialect (each
 * adapter's ddl maps it: sqlite/ddl.ts, postgres/ddl.ts, mysql/ddl.ts), the start-up probe that checks an existing
 * database has every table and column, and the migrations.
 *
 * Declared column types are the ones MLMD writes into sqlite_master, so files we create are indistinguishable from
 * files the ml-metadata package creates (SQLite derives column affinity from these strings); the other dialects
 * derive theirs from them.
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
  /** An integer that holds int64 outside SQLite too (BIGINT; BIGSERIAL / BIGINT AUTO_INCREMENT for an id). */
  int64?: boolean;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  /** Table constraints: composite PRIMARY KEY / UNIQUE. */
  constraints?: string[];
}

const id: ColumnSpec = { name: 'id', sqliteType: 'INTEGER', constraint: 'PRIMARY KEY AUTOINCREMENT' };
const timestamps: ColumnSpec[] = [
  { name: 'create_time_since_epoch', sqliteType: 'INT', constraint: 'NOT NULL DEFAULT 0', int64: true },
  { name: 'last_update_time_since_epoch', sqliteType: 'INT', constraint: 'NOT NULL DEFAULT 0', int64: true },
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
      { name: 'milliseconds_since_epoch', sqliteType: 'INT', int64: true },
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

/**
 * EventPath's insertion order outside SQLite. SQLite orders a path's steps by rowid; PostgreSQL and MySQL have no
 * stable row order (ctid changes with updates; InnoDB's row id of a table without primary key is hidden), so we add
 * this column: an auto-numbered integer whose default numbers rows as they are inserted. Upstream's INSERTs name their
 * four columns, so it never touches it; its own reads (no ORDER BY) still work. Databases created by ml-metadata get
 * it at start-up (existing rows are numbered in their stored order, which is the order upstream itself reads them in).
 */
export const EVENTPATH_ORDER_COLUMN = 'step_order';

/** The three named unique constraints of upstream's PostgreSQL and MySQL DDL. */
export const NAMED_UNIQUE_CONSTRAINTS: Record<string, string> = {
  Artifact: 'UniqueArtifactTypeName',
  Execution: 'UniqueExecutionTypeName',
  Event: 'UniqueEvent',
};

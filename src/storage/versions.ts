/**
 * The layouts of MLMD's older schema versions (0-9), derived from the v10 description in schema.ts: which tables and
 * columns each version has, and which of MLMD's secondary indexes. Shared by every dialect's migration steps.
 *
 * Checked against databases the ml-metadata package (1.17.1) produces when it downgrades a v10 one: same tables,
 * columns, declared types, table constraints and index names.
 */
import { type ColumnSpec, type IndexSpec, type TableSpec, TABLES, UPSTREAM_INDEXES } from './schema';

export const V10: Record<string, TableSpec> = Object.fromEntries(TABLES.map((t) => [t.name, t]));

/** A v10 table minus some columns (and, optionally, with other table constraints). */
function without(table: string, drop: string[], constraints?: string[]): TableSpec {
  const t = V10[table];
  return {
    name: t.name,
    columns: t.columns.filter((c) => !drop.includes(c.name)),
    constraints: constraints ?? t.constraints,
  };
}

export const TIMES = ['create_time_since_epoch', 'last_update_time_since_epoch'];
export const EXT = ['external_id'];
export const PROPERTY_TABLES = ['ArtifactProperty', 'ExecutionProperty', 'ContextProperty'];

/** v0-v1: artifact types are flagged by is_artifact_type; there are no context types yet. */
export const TYPE_V0: TableSpec = {
  name: 'Type',
  columns: [
    V10.Type.columns[0],
    V10.Type.columns[1],
    { name: 'is_artifact_type', sqliteType: 'TINYINT(1)', constraint: 'NOT NULL' } as ColumnSpec,
    ...V10.Type.columns.filter((c) => c.name === 'input_type' || c.name === 'output_type'),
  ],
};
export const TYPE_V2 = without('Type', ['version', 'description', ...EXT]);
export const TYPE_V6 = without('Type', EXT);

export const ARTIFACT_V0 = without('Artifact', ['state', 'name', ...EXT, ...TIMES], []);
export const ARTIFACT_V5 = without('Artifact', EXT);
export const EXECUTION_V0 = without('Execution', ['last_known_state', 'name', ...EXT, ...TIMES], []);
export const EXECUTION_V5 = without('Execution', EXT);
export const CONTEXT_V3 = without('Context', [...EXT, ...TIMES]);
export const CONTEXT_V5 = without('Context', EXT);
export const EVENT_V0 = without('Event', [], []);

/** Property tables: byte_value arrived in v7, proto_value and bool_value in v10. */
export const propertyV0 = (t: string) => without(t, ['byte_value', 'proto_value', 'bool_value']);
export const propertyV7 = (t: string) => without(t, ['proto_value', 'bool_value']);

const byName = (...names: string[]): IndexSpec[] =>
  names.map((n) => {
    const found = UPSTREAM_INDEXES.find((i) => i.name === n);
    if (!found) throw new Error(`unknown index ${n}`);
    return found;
  });

/** Present in v6 and v7 only: the v8 unique (artifact_id, execution_id, type) key made it redundant. */
export const IDX_EVENT_ARTIFACT_ID: IndexSpec = {
  name: 'idx_event_artifact_id',
  table: 'Event',
  columns: ['artifact_id'],
};

export const IDX_V6 = [
  ...byName(
    'idx_artifact_uri',
    'idx_artifact_create_time_since_epoch',
    'idx_artifact_last_update_time_since_epoch',
    'idx_event_execution_id',
    'idx_parentcontext_parent_context_id',
    'idx_type_name',
    'idx_execution_create_time_since_epoch',
    'idx_execution_last_update_time_since_epoch',
    'idx_context_create_time_since_epoch',
    'idx_context_last_update_time_since_epoch',
  ),
  IDX_EVENT_ARTIFACT_ID,
];
export const IDX_V7 = [...IDX_V6, ...byName('idx_eventpath_event_id')];
export const IDX_V8 = [
  ...IDX_V7.filter((i) => i !== IDX_EVENT_ARTIFACT_ID),
  ...UPSTREAM_INDEXES.filter((i) => /^idx_(artifact|execution|context)_property_/.test(i.name)),
];

/** The MLMD secondary indexes a file of version v has (none before v6; v9 and v10 have all 24). */
export function indexesAt(v: number): IndexSpec[] {
  if (v < 6) return [];
  if (v === 6) return IDX_V6;
  if (v === 7) return IDX_V7;
  if (v === 8) return IDX_V8;
  return UPSTREAM_INDEXES;
}

/** Every index MLMD has had (the event-artifact index of v6-v7 included). */
export const ALL_UPSTREAM_INDEXES = [...UPSTREAM_INDEXES, IDX_EVENT_ARTIFACT_ID];

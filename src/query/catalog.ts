/**
 * What a filter_query can name, per node kind: the node's own attributes, its neighbours (contexts_X, artifacts_X,
 * executions_X, parent_contexts_X, child_contexts_X, events_X), the property structs, and the enum names.
 *
 * Table and column names are MLMD's schema v10 (the same on every backend; PostgreSQL folds them to lower case).
 */

export type NodeKind = 'Artifact' | 'Execution' | 'Context';
export type ValueType = 'INT64' | 'DOUBLE' | 'STRING' | 'BOOL';

export interface EnumDef {
  name: string;
  values: ReadonlyMap<string, number>;
}

/** Names accepted by upstream's filter (narrower than the proto enums: no ABANDONED/REFERENCE, no UNKNOWN/PENDING_OUTPUT events). */
export const ARTIFACT_STATE: EnumDef = {
  name: 'Artifact.State',
  values: new Map([
    ['UNKNOWN', 0],
    ['PENDING', 1],
    ['LIVE', 2],
    ['MARKED_FOR_DELETION', 3],
    ['DELETED', 4],
  ]),
};
export const EXECUTION_STATE: EnumDef = {
  name: 'Execution.State',
  values: new Map([
    ['UNKNOWN', 0],
    ['NEW', 1],
    ['RUNNING', 2],
    ['COMPLETE', 3],
    ['FAILED', 4],
    ['CACHED', 5],
    ['CANCELED', 6],
  ]),
};
export const EVENT_TYPE: EnumDef = {
  name: 'Event.Type',
  values: new Map([
    ['DECLARED_OUTPUT', 1],
    ['DECLARED_INPUT', 2],
    ['INPUT', 3],
    ['OUTPUT', 4],
    ['INTERNAL_INPUT', 5],
    ['INTERNAL_OUTPUT', 6],
  ]),
};

/** A field of a row: a column, or the row's type name (looked up in Type). */
export interface FieldDef {
  name: string;
  type: ValueType;
  /** A column of the row's table, or 'TYPE_NAME' for the name of the row's type. */
  column: string | 'TYPE_NAME';
  /** Set when the field accepts enum names in `=`, `!=`, `IN`, `NOT IN`. */
  enumDef?: EnumDef;
  /**
   * Set when an index of the schema serves equality on this column of a joined row (schema.ts): the compiler then
   * expects `= literal` on it to be selective (sql.ts chooses how to evaluate the join by it).
   */
  indexed?: boolean;
}

const f = (name: string, type: ValueType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  column: name,
  ...extra,
});

const ID = f('id', 'INT64', { indexed: true });
const TYPE_ID = f('type_id', 'INT64', { indexed: true });
const TYPE = f('type', 'STRING', { column: 'TYPE_NAME' });
const NAME = f('name', 'STRING');
const CONTEXT_NAME = f('name', 'STRING', { indexed: true }); // idx_context_name (artifact and execution names: NOCASE)
const EXTERNAL_ID = f('external_id', 'STRING', { indexed: true });
const CREATE_TIME = f('create_time_since_epoch', 'INT64', { indexed: true });
const UPDATE_TIME = f('last_update_time_since_epoch', 'INT64', { indexed: true });
const URI = f('uri', 'STRING', { indexed: true });
const STATE = f('state', 'INT64', { enumDef: ARTIFACT_STATE });
const LAST_KNOWN_STATE = f('last_known_state', 'INT64', { enumDef: EXECUTION_STATE });

export interface NodeTableDef {
  table: NodeKind;
  /** Type.type_kind of this node kind's types. */
  typeKind: number;
  propertyTable: string;
  ownerColumn: string;
  attributes: FieldDef[];
}

export const NODE_TABLES: Record<NodeKind, NodeTableDef> = {
  Artifact: {
    table: 'Artifact',
    typeKind: 1,
    propertyTable: 'ArtifactProperty',
    ownerColumn: 'artifact_id',
    attributes: [ID, TYPE_ID, TYPE, NAME, EXTERNAL_ID, CREATE_TIME, UPDATE_TIME, URI, STATE],
  },
  Execution: {
    table: 'Execution',
    typeKind: 0,
    propertyTable: 'ExecutionProperty',
    ownerColumn: 'execution_id',
    attributes: [ID, TYPE_ID, TYPE, NAME, EXTERNAL_ID, CREATE_TIME, UPDATE_TIME, LAST_KNOWN_STATE],
  },
  Context: {
    table: 'Context',
    typeKind: 2,
    propertyTable: 'ContextProperty',
    ownerColumn: 'context_id',
    attributes: [ID, TYPE_ID, TYPE, NAME, EXTERNAL_ID, CREATE_TIME, UPDATE_TIME],
  },
};

/**
 * How a neighbour row is reached from the listed node (alias table_0):
 *   linked: JOIN <linkTable> ON link.<fromColumn> = table_0.id JOIN <target> ON target.id = link.<toColumn>
 *   direct: JOIN <target> ON target.<fromColumn> = table_0.id
 */
export interface NeighbourDef {
  prefix: string;
  target: string;
  link?: { table: string; fromColumn: string; toColumn: string };
  /** For direct neighbours (events): the target's column naming the listed node. */
  fromColumn?: string;
  fields: FieldDef[];
}

// Strict superset of upstream: artifacts_/executions_ external_id and parent_/child_contexts_ timestamps are
// declared by upstream's analyzer but not provided by its joins (they fail at run time there); here they work.
const CONTEXT_FIELDS = [ID, CONTEXT_NAME, TYPE, CREATE_TIME, UPDATE_TIME];

const neighbour = (prefix: string, target: string, link: NeighbourDef['link'], fields: FieldDef[]): NeighbourDef => ({
  prefix,
  target,
  link,
  fields,
});

export const NEIGHBOURS: Record<NodeKind, NeighbourDef[]> = {
  Artifact: [
    neighbour(
      'contexts_',
      'Context',
      { table: 'Attribution', fromColumn: 'artifact_id', toColumn: 'context_id' },
      CONTEXT_FIELDS,
    ),
    {
      prefix: 'events_',
      target: 'Event',
      fromColumn: 'artifact_id',
      fields: [
        f('type', 'INT64', { enumDef: EVENT_TYPE }),
        f('milliseconds_since_epoch', 'INT64'),
        f('execution_id', 'INT64', { indexed: true }),
      ],
    },
  ],
  Execution: [
    neighbour(
      'contexts_',
      'Context',
      { table: 'Association', fromColumn: 'execution_id', toColumn: 'context_id' },
      CONTEXT_FIELDS,
    ),
    {
      prefix: 'events_',
      target: 'Event',
      fromColumn: 'execution_id',
      fields: [
        f('type', 'INT64', { enumDef: EVENT_TYPE }),
        f('milliseconds_since_epoch', 'INT64'),
        f('artifact_id', 'INT64', { indexed: true }),
      ],
    },
  ],
  Context: [
    neighbour('artifacts_', 'Artifact', { table: 'Attribution', fromColumn: 'context_id', toColumn: 'artifact_id' }, [
      ID,
      NAME,
      TYPE,
      STATE,
      URI,
      CREATE_TIME,
      UPDATE_TIME,
      EXTERNAL_ID,
    ]),
    neighbour(
      'executions_',
      'Execution',
      { table: 'Association', fromColumn: 'context_id', toColumn: 'execution_id' },
      [ID, NAME, TYPE, LAST_KNOWN_STATE, CREATE_TIME, UPDATE_TIME, EXTERNAL_ID],
    ),
    neighbour(
      'parent_contexts_',
      'Context',
      { table: 'ParentContext', fromColumn: 'context_id', toColumn: 'parent_context_id' },
      CONTEXT_FIELDS,
    ),
    neighbour(
      'child_contexts_',
      'Context',
      { table: 'ParentContext', fromColumn: 'parent_context_id', toColumn: 'context_id' },
      CONTEXT_FIELDS,
    ),
  ],
};

/** Every neighbour prefix, longest first so `parent_contexts_` wins over `contexts_`. */
export const ALL_NEIGHBOUR_PREFIXES = [
  'parent_contexts_',
  'child_contexts_',
  'executions_',
  'artifacts_',
  'contexts_',
  'events_',
];

export const PROPERTY_FIELDS: FieldDef[] = [
  f('int_value', 'INT64', { indexed: true }),
  f('double_value', 'DOUBLE', { indexed: true }),
  f('string_value', 'STRING', { indexed: true }),
  f('bool_value', 'BOOL'),
];

export function structDescription(fields: FieldDef[]): string {
  return `STRUCT<${fields.map((x) => `${x.name} ${x.type}`).join(', ')}>`;
}

/**
 * Migration steps of the dialects that alter tables in place (PostgreSQL, MySQL): the same version facts as SQLite's
 * rebuilds (versions.ts), written as ALTER TABLE clauses through each dialect's AlterDdl. Columns and unique keys are
 * added and dropped; no table is copied, so upgrading a large Kubeflow metadb takes the time of its ALTERs only.
 */
import type { Tx } from '../database';
import type { ColumnSpec } from '../schema';
import { CONTEXT_V3, PROPERTY_TABLES, propertyV0, TIMES, TYPE_V0, V10 } from '../versions';
import {
  addColumns,
  createTables,
  deleteRowsWithoutV9Value,
  DROP_ORPHAN_EVENT_PATHS,
  dropTables,
  type Op,
  sql,
  type Steps,
} from './ops';

/** How a dialect alters a table. */
export interface AlterDdl {
  /** `ALTER TABLE <table> <clause>, <clause>…` */
  alter(table: string, clauses: readonly string[]): string;
  addColumn(column: ColumnSpec): string;
  dropColumn(name: string): string;
  addUnique(name: string, columns: readonly string[]): string;
  /** Drops a unique key by name (absent is fine where the dialect allows it). */
  dropUnique(name: string): string;
  /** Renames `from` to `to` (whose declared type the column keeps). */
  renameColumn(table: string, from: string, to: ColumnSpec): string;
  /** Deletes every Event of a duplicated (artifact, execution, type) but the newest (highest id). */
  readonly deleteDuplicateEvents: string;
  /**
   * Statements that give the property tables' string_value its type at `version` (MySQL: MEDIUMTEXT from v7,
   * TEXT before, truncated to fit; nothing on PostgreSQL, whose TEXT has no length).
   */
  stringValueAt(table: string, version: number): string[];
}

const column = (table: string, name: string): ColumnSpec => {
  const c = V10[table].columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${table}.${name}`);
  return c;
};

/** The names of `table`'s columns and indexes, lower-cased (PostgreSQL folds them). */
const columnsOf = async (tx: Tx, table: string) =>
  new Set([...(await tx.adapter.ddl.columnsOf(tx, table))].map((n) => n.toLowerCase()));
const indexesOf = async (tx: Tx, table: string) =>
  new Set([...(await tx.adapter.ddl.indexesOf(tx, table))].map((n) => n.toLowerCase()));

/**
 * Every step, for one dialect. Each operation looks at the catalog first and does only what is missing: databases
 * downgraded by the package keep some later columns (its PostgreSQL downgrade below 9 leaves external_id), and a
 * MySQL migration interrupted half-way (no transactional DDL) must be able to run again.
 */
export function alterSteps(a: AlterDdl): Steps {
  const addAll =
    (table: string, names: readonly string[]): Op =>
    async (tx) => {
      const have = await columnsOf(tx, table);
      const missing = names.filter((n) => !have.has(n));
      if (missing.length > 0)
        await tx.run(
          a.alter(
            table,
            missing.map((n) => a.addColumn(column(table, n))),
          ),
        );
    };
  const dropAll =
    (table: string, names: readonly string[]): Op =>
    async (tx) => {
      const have = await columnsOf(tx, table);
      const present = names.filter((n) => have.has(n));
      if (present.length > 0)
        await tx.run(
          a.alter(
            table,
            present.map((n) => a.dropColumn(n)),
          ),
        );
    };
  const addUnique =
    (table: string, name: string, columns: readonly string[]): Op =>
    async (tx) => {
      if (!(await indexesOf(tx, table)).has(name.toLowerCase()))
        await tx.run(a.alter(table, [a.addUnique(name, columns)]));
    };
  const dropUnique =
    (table: string, name: string): Op =>
    async (tx) => {
      if ((await indexesOf(tx, table)).has(name.toLowerCase())) await tx.run(a.alter(table, [a.dropUnique(name)]));
    };
  const rename =
    (table: string, from: string, to: ColumnSpec): Op =>
    async (tx) => {
      const have = await columnsOf(tx, table);
      if (have.has(from) && !have.has(to.name)) await tx.run(a.renameColumn(table, from, to));
    };
  const eachProperty = (op: (table: string) => Op[]): Op[] => PROPERTY_TABLES.flatMap(op);
  const stringValue = (version: number): Op[] => eachProperty((t) => [sql(...a.stringValueAt(t, version))]);

  return {
    // v1: the MLMDEnv table records the schema version (v0 has none).
    1: { up: [createTables(V10.MLMDEnv)], down: [dropTables('MLMDEnv')] },
    // v2: Type.is_artifact_type becomes type_kind; going down, context types (and their properties) go.
    2: {
      up: [rename('Type', 'is_artifact_type', column('Type', 'type_kind'))],
      down: [
        sql(
          'DELETE FROM TypeProperty WHERE type_id IN (SELECT id FROM Type WHERE type_kind = 2)',
          'DELETE FROM Type WHERE type_kind = 2',
        ),
        rename(
          'Type',
          'type_kind',
          TYPE_V0.columns.find((c) => c.name === 'is_artifact_type')!,
        ),
      ],
    },
    // v3: contexts and their properties.
    3: {
      up: [createTables(CONTEXT_V3, propertyV0('ContextProperty'))],
      down: [dropTables('Context', 'ContextProperty')],
    },
    // v4: context links.
    4: {
      up: [createTables(V10.Association, V10.Attribution)],
      down: [dropTables('Association', 'Attribution')],
    },
    // v5: node state, name and timestamps; artifact and execution names unique within a type.
    5: {
      up: [
        addAll('Artifact', ['state', 'name', ...TIMES]),
        addUnique('Artifact', 'UniqueArtifactTypeName', ['type_id', 'name']),
        addAll('Execution', ['last_known_state', 'name', ...TIMES]),
        addUnique('Execution', 'UniqueExecutionTypeName', ['type_id', 'name']),
        addAll('Context', TIMES),
      ],
      down: [
        dropUnique('Artifact', 'UniqueArtifactTypeName'),
        dropAll('Artifact', ['state', 'name', ...TIMES]),
        dropUnique('Execution', 'UniqueExecutionTypeName'),
        dropAll('Execution', ['last_known_state', 'name', ...TIMES]),
        dropAll('Context', TIMES),
      ],
    },
    // v6: type inheritance and context parents; type version and description.
    6: {
      up: [createTables(V10.ParentType, V10.ParentContext), addAll('Type', ['version', 'description'])],
      down: [dropTables('ParentType', 'ParentContext'), dropAll('Type', ['version', 'description'])],
    },
    // v7: byte_value on the property tables (and MySQL's longer string_value).
    7: {
      up: [...eachProperty((t) => [addAll(t, ['byte_value'])]), ...stringValue(7)],
      down: [...eachProperty((t) => [dropAll(t, ['byte_value'])]), ...stringValue(6)],
    },
    // v8: events unique per (artifact, execution, type); the paths of dropped duplicates go too.
    8: {
      up: [
        sql(a.deleteDuplicateEvents),
        DROP_ORPHAN_EVENT_PATHS,
        addUnique('Event', 'UniqueEvent', ['artifact_id', 'execution_id', 'type']),
      ],
      down: [dropUnique('Event', 'UniqueEvent')],
    },
    // v9: external_id (unique, nullable) on types and nodes. Dropping the column drops its unique key.
    9: {
      up: ['Type', 'Artifact', 'Execution', 'Context'].map((t) => addAll(t, ['external_id'])),
      down: ['Type', 'Artifact', 'Execution', 'Context'].map((t) => dropAll(t, ['external_id'])),
    },
    // v10: proto_value and bool_value property kinds.
    10: {
      up: eachProperty((t) => [addAll(t, ['proto_value', 'bool_value'])]),
      down: eachProperty((t) => [deleteRowsWithoutV9Value(t), dropAll(t, ['proto_value', 'bool_value'])]),
    },
  };
}

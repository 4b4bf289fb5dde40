/**
 * SQLite's migration steps. SQLite cannot drop or constrain columns in place, so a table changes shape by being
 * rebuilt (`rebuild`); columns that are only added use ALTER TABLE.
 */
import type { Tx } from '../database';
import type { TableSpec } from '../schema';
import {
  ARTIFACT_V0,
  ARTIFACT_V5,
  CONTEXT_V3,
  CONTEXT_V5,
  EVENT_V0,
  EXECUTION_V0,
  EXECUTION_V5,
  PROPERTY_TABLES,
  propertyV0,
  propertyV7,
  TYPE_V0,
  TYPE_V2,
  TYPE_V6,
  V10,
} from '../versions';
import {
  addColumns,
  createTables,
  deleteRowsWithoutV9Value,
  DROP_ORPHAN_EVENT_PATHS,
  dropTables,
  type Op,
  sql,
  type Steps,
} from '../migration/ops';
import { sqliteCreateTable } from './ddl';

interface RebuildOptions {
  /** SQL expressions for new columns that are not copied by name (e.g. a renamed column). */
  computed?: Record<string, string>;
  /** Only rows matching this condition (over the old table) are kept. */
  where?: string;
  /** Copy order plus INSERT OR IGNORE: with a new unique key, the first row of each duplicate group wins. */
  orderBy?: string;
}

/**
 * SQLite cannot drop or constrain columns in place, so a table changes shape by being rebuilt: create the new
 * layout under a temporary name, copy the shared columns, drop the old table, rename. The AUTOINCREMENT high-water
 * mark is carried over so ids are never reused; the table's indexes come back through syncIndexes.
 */
const rebuild =
  (target: TableSpec, options: RebuildOptions = {}): Op =>
  async (tx) => {
    const name = target.name;
    const tmp = `${name}_migrating`;
    const oldColumns = await tx.adapter.ddl.columnsOf(tx, name);
    const computed = options.computed ?? {};
    const copied = target.columns.filter((c) => c.name in computed || oldColumns.has(c.name));
    const seq = await autoincrementHighWater(tx, name);
    await tx.run(sqliteCreateTable({ ...target, name: tmp }));
    const into = copied.map((c) => `\`${c.name}\``).join(', ');
    const select = copied.map((c) => computed[c.name] ?? `\`${c.name}\``).join(', ');
    await tx.run(
      `INSERT ${options.orderBy ? 'OR IGNORE ' : ''}INTO \`${tmp}\` (${into}) SELECT ${select} FROM \`${name}\`` +
        (options.where ? ` WHERE ${options.where}` : '') +
        (options.orderBy ? ` ORDER BY ${options.orderBy}` : ''),
    );
    await tx.run(`DROP TABLE \`${name}\``);
    await tx.run(`ALTER TABLE \`${tmp}\` RENAME TO \`${name}\``);
    if (seq !== undefined) {
      await tx.run('DELETE FROM sqlite_sequence WHERE name = ?', [name]);
      await tx.run('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', [name, seq]);
    }
  };

async function autoincrementHighWater(tx: Tx, table: string): Promise<bigint | undefined> {
  const hasSequence = await tx.get(
    "SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
  );
  if (!hasSequence) return undefined;
  const row = await tx.get<{ seq: bigint }>('SELECT seq FROM sqlite_sequence WHERE name = ?', [table]);
  return row ? BigInt(row.seq) : undefined;
}

const column = (table: string, name: string) => V10[table].columns.find((c) => c.name === name)!;

export const SQLITE_STEPS: Steps = {
  // v1: the MLMDEnv table records the schema version (v0 files have none).
  1: {
    up: [sql('CREATE TABLE IF NOT EXISTS `MLMDEnv` (`schema_version` INTEGER PRIMARY KEY)')],
    down: [dropTables('MLMDEnv')],
  },
  // v2: Type.is_artifact_type becomes type_kind (0 execution, 1 artifact, 2 context; the old 0/1 keep their meaning).
  // Going down, context types have no encoding and are dropped with their properties.
  2: {
    up: [rebuild(TYPE_V2, { computed: { type_kind: '`is_artifact_type`' } })],
    down: [
      sql('DELETE FROM `TypeProperty` WHERE `type_id` IN (SELECT `id` FROM `Type` WHERE `type_kind` = 2)'),
      rebuild(TYPE_V0, { computed: { is_artifact_type: '`type_kind`' }, where: '`type_kind` <> 2' }),
    ],
  },
  // v3: contexts and their properties.
  3: {
    up: [createTables(CONTEXT_V3, propertyV0('ContextProperty'))],
    down: [dropTables('Context', 'ContextProperty')],
  },
  // v4: context links (attribution: context-artifact, association: context-execution).
  4: {
    up: [createTables(V10.Association, V10.Attribution)],
    down: [dropTables('Association', 'Attribution')],
  },
  // v5: node state, name and timestamps; names unique within a type.
  5: {
    up: [rebuild(ARTIFACT_V5), rebuild(EXECUTION_V5), rebuild(CONTEXT_V5)],
    down: [rebuild(ARTIFACT_V0), rebuild(EXECUTION_V0), rebuild(CONTEXT_V3)],
  },
  // v6: type inheritance and context parents; type version and description; the first secondary indexes.
  6: {
    up: [createTables(V10.ParentType, V10.ParentContext), rebuild(TYPE_V6)],
    down: [dropTables('ParentType', 'ParentContext'), rebuild(TYPE_V2)],
  },
  // v7: byte_value on the property tables (never used by MLMD); index on EventPath.event_id.
  7: {
    up: [addColumns(PROPERTY_TABLES, [column('ArtifactProperty', 'byte_value')])],
    down: PROPERTY_TABLES.map((t) => rebuild(propertyV0(t))),
  },
  // v8: events unique per (artifact, execution, type): of duplicates the newest (highest id) is kept, and the
  // paths of dropped events go too. Partial value indexes on the property tables.
  8: {
    up: [rebuild(V10.Event, { orderBy: '`id` DESC' }), DROP_ORPHAN_EVENT_PATHS],
    down: [rebuild(EVENT_V0)],
  },
  // v9: external_id (unique, nullable) on types and nodes.
  9: {
    up: [rebuild(V10.Type), rebuild(V10.Artifact), rebuild(V10.Execution), rebuild(V10.Context)],
    down: [rebuild(TYPE_V6), rebuild(ARTIFACT_V5), rebuild(EXECUTION_V5), rebuild(CONTEXT_V5)],
  },
  // v10: proto_value (base64 text of a serialised Any) and bool_value property kinds. Going down, property rows
  // that only held such a value are deleted: with no value left they could not be read back.
  10: {
    up: [
      addColumns(PROPERTY_TABLES, [
        column('ArtifactProperty', 'proto_value'),
        column('ArtifactProperty', 'bool_value'),
      ]),
    ],
    down: PROPERTY_TABLES.flatMap((t) => [deleteRowsWithoutV9Value(t), rebuild(propertyV7(t))]),
  },
};

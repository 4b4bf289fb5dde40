/**
 * Schema migrations between MLMD schema versions (SQLite). Upgrades run each step v -> v+1 inside the start-up
 * transaction; downgrades run v -> v-1 and lose the data of dropped columns and tables, as MLMD's do.
 *
 * The layouts of versions 0-9 were checked against files the ml-metadata package (1.17.1) produces when it
 * downgrades a v10 file: same tables, columns, declared types, table constraints and index names. After each step
 * the set of MLMD secondary indexes is brought to exactly that version's set (`indexesAt`), so the steps below only
 * describe table changes.
 */
import { internal, MlmdError } from '../errors';
import { Tx } from './database';
import { ColumnSpec, EXTRA_INDEXES, IndexSpec, SCHEMA_VERSION, TableSpec, TABLES, UPSTREAM_INDEXES } from './schema';
import { sqliteCreateIndex, sqliteCreateTable } from './sqlite/ddl';

// ---------------------------------------------------------------------------------------------------------------
// Table layouts of older versions, derived from the v10 descriptions in schema.ts.

const V10: Record<string, TableSpec> = Object.fromEntries(TABLES.map((t) => [t.name, t]));

/** A v10 table minus some columns (and, optionally, with other table constraints). */
function without(table: string, drop: string[], constraints?: string[]): TableSpec {
  const t = V10[table];
  return {
    name: t.name,
    columns: t.columns.filter((c) => !drop.includes(c.name)),
    constraints: constraints ?? t.constraints,
  };
}

const TIMES = ['create_time_since_epoch', 'last_update_time_since_epoch'];
const EXT = ['external_id'];
const PROPERTY_TABLES = ['ArtifactProperty', 'ExecutionProperty', 'ContextProperty'];

/** v0-v1: artifact types are flagged by is_artifact_type; there are no context types yet. */
const TYPE_V0: TableSpec = {
  name: 'Type',
  columns: [
    V10.Type.columns[0],
    V10.Type.columns[1],
    { name: 'is_artifact_type', sqliteType: 'TINYINT(1)', constraint: 'NOT NULL' } as ColumnSpec,
    ...V10.Type.columns.filter((c) => c.name === 'input_type' || c.name === 'output_type'),
  ],
};
const TYPE_V2 = without('Type', ['version', 'description', ...EXT]);
const TYPE_V6 = without('Type', EXT);

const ARTIFACT_V0 = without('Artifact', ['state', 'name', ...EXT, ...TIMES], []);
const ARTIFACT_V5 = without('Artifact', EXT);
const EXECUTION_V0 = without('Execution', ['last_known_state', 'name', ...EXT, ...TIMES], []);
const EXECUTION_V5 = without('Execution', EXT);
const CONTEXT_V3 = without('Context', [...EXT, ...TIMES]);
const CONTEXT_V5 = without('Context', EXT);
const EVENT_V0 = without('Event', [], []);

/** Property tables: byte_value arrived in v7, proto_value and bool_value in v10. */
const propertyV0 = (t: string) => without(t, ['byte_value', 'proto_value', 'bool_value']);
const propertyV7 = (t: string) => without(t, ['proto_value', 'bool_value']);

// ---------------------------------------------------------------------------------------------------------------
// MLMD's secondary indexes per version.

const byName = (...names: string[]): IndexSpec[] =>
  names.map((n) => {
    const found = UPSTREAM_INDEXES.find((i) => i.name === n);
    if (!found) throw new Error(`unknown index ${n}`);
    return found;
  });

/** Present in v6 and v7 only: the v8 unique (artifact_id, execution_id, type) key made it redundant. */
const IDX_EVENT_ARTIFACT_ID: IndexSpec = { name: 'idx_event_artifact_id', table: 'Event', columns: ['artifact_id'] };

const IDX_V6 = [
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
const IDX_V7 = [...IDX_V6, ...byName('idx_eventpath_event_id')];
const IDX_V8 = [
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

const ALL_UPSTREAM_INDEXES = [...UPSTREAM_INDEXES, IDX_EVENT_ARTIFACT_ID];

async function syncIndexes(tx: Tx, v: number): Promise<void> {
  const wanted = indexesAt(v);
  for (const i of ALL_UPSTREAM_INDEXES) {
    if (!wanted.includes(i)) await tx.run(`DROP INDEX IF EXISTS \`${i.name}\``);
  }
  for (const i of wanted) await tx.run(sqliteCreateIndex(i));
}

// ---------------------------------------------------------------------------------------------------------------
// Operations the steps are made of.

type Op = (tx: Tx) => Promise<void>;

const sql =
  (...statements: string[]): Op =>
  async (tx) => {
    for (const s of statements) await tx.run(s);
  };

const createTables = (...tables: TableSpec[]): Op => sql(...tables.map(sqliteCreateTable));
const dropTables = (...names: string[]): Op => sql(...names.map((n) => `DROP TABLE IF EXISTS \`${n}\``));
const addColumns = (tables: string[], columns: string[]): Op =>
  sql(...tables.flatMap((t) => columns.map((c) => `ALTER TABLE \`${t}\` ADD COLUMN ${c}`)));

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

// ---------------------------------------------------------------------------------------------------------------
// The steps. STEPS[v].up goes v-1 -> v; STEPS[v].down goes v -> v-1.

interface Step {
  up: Op[];
  down: Op[];
}

const STEPS: Record<number, Step> = {
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
    up: [addColumns(PROPERTY_TABLES, ['`byte_value` BLOB'])],
    down: PROPERTY_TABLES.map((t) => rebuild(propertyV0(t))),
  },
  // v8: events unique per (artifact, execution, type): of duplicates the newest (highest id) is kept, and the
  // paths of dropped events go too. Partial value indexes on the property tables.
  8: {
    up: [
      rebuild(V10.Event, { orderBy: '`id` DESC' }),
      sql('DELETE FROM `EventPath` WHERE `event_id` NOT IN (SELECT `id` FROM `Event`)'),
    ],
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
    up: [addColumns(PROPERTY_TABLES, ['`proto_value` BLOB', '`bool_value` BOOLEAN'])],
    down: PROPERTY_TABLES.flatMap((t) => [
      sql(
        `DELETE FROM \`${t}\` WHERE \`int_value\` IS NULL AND \`double_value\` IS NULL AND \`string_value\` IS NULL ` +
          'AND `byte_value` IS NULL',
      ),
      rebuild(propertyV7(t)),
    ]),
  },
};

async function setVersion(tx: Tx, v: number): Promise<void> {
  if (v === 0) return; // v0 has no MLMDEnv (its step drops the table)
  await tx.run('DELETE FROM `MLMDEnv`');
  await tx.run('INSERT INTO `MLMDEnv` (`schema_version`) VALUES (?)', [v]);
}

/** Upgrades from `from` to `to` one version at a time, in the caller's transaction. */
export async function migrate(tx: Tx, from: number, to: number): Promise<void> {
  for (let v = from + 1; v <= to; v++) {
    const step = STEPS[v];
    if (!step || v > SCHEMA_VERSION) throw internal(`Cannot find migration_schemes to version ${v}`);
    try {
      for (const op of step.up) await op(tx);
      await syncIndexes(tx, v);
      await setVersion(tx, v);
    } catch (e) {
      throw annotate(e, `Upgrade migration to schema version ${v} failed`);
    }
  }
}

/**
 * Downgrades from `from` to `to` one version at a time, in the caller's transaction. Our own extra indexes are
 * dropped first, so the result holds exactly what the older MLMD library would have created.
 */
export async function downgrade(tx: Tx, from: number, to: number): Promise<void> {
  if (to >= from) return;
  for (const i of EXTRA_INDEXES) await tx.run(`DROP INDEX IF EXISTS \`${i.name}\``);
  for (let v = from; v > to; v--) {
    const step = STEPS[v];
    if (!step) throw internal(`Cannot find migration_schemes to downgrade from version ${v}`);
    try {
      for (const op of step.down) await op(tx);
      await syncIndexes(tx, v - 1);
      await setVersion(tx, v - 1);
    } catch (e) {
      throw annotate(e, `Downgrade migration from schema version ${v} failed`);
    }
  }
}

/** Keeps an MlmdError's code (ABORTED stays retriable); any other failure becomes INTERNAL. */
function annotate(e: unknown, context: string): Error {
  if (e instanceof MlmdError) return new MlmdError(e.code, `${context}: ${e.message}`);
  return internal(`${context}: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * Opening a store: find the schema version of an existing database, create the v10 schema in an empty one, refuse
 * (or migrate) other versions as MLMD does, and seed the built-in simple types. The same steps for every dialect;
 * the statements come from the transaction's adapter.
 */
import { Code, dataLoss, failedPrecondition, isNotFound, MlmdError } from '../errors';
import type { Database, Tx } from './database';
import { migrate, downgrade } from './migrations';
import { createIndexes } from './indexes';
import { EXTRA_INDEXES, SCHEMA_VERSION, TABLES, UPSTREAM_INDEXES } from './schema';
import { serializeOn } from './sql';

export interface MigrationOptions {
  /** Upgrade an older database to v10 (MLMD's enable_upgrade_migration). */
  enableUpgradeMigration?: boolean;
  /** Downgrade to this version and stop (MLMD's downgrade_to_schema_version; -1 or undefined = no downgrade). */
  downgradeToSchemaVersion?: number;
}

/** Type kinds as stored in Type.type_kind. */
export enum TypeKind {
  EXECUTION = 0,
  ARTIFACT = 1,
  CONTEXT = 2,
}

/** The built-in "simple types" every MLMD store holds (hidden from Get*Types); the order fixes ids 1-9 in a new file. */
export const SIMPLE_TYPES: ReadonlyArray<{ name: string; kind: TypeKind }> = [
  { name: 'mlmd.Dataset', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Model', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Metrics', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Statistics', kind: TypeKind.ARTIFACT },
  { name: 'mlmd.Train', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Transform', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Process', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Evaluate', kind: TypeKind.EXECUTION },
  { name: 'mlmd.Deploy', kind: TypeKind.EXECUTION },
];

/** The column names of `table` (empty when it does not exist). */
function columnsOf(tx: Tx, table: string): Promise<Set<string>> {
  return tx.adapter.ddl.columnsOf(tx, table);
}

/** Returns the schema version stored in the database, or undefined for an empty database. */
export async function readSchemaVersion(tx: Tx): Promise<number | undefined> {
  // Probing the catalog rather than the table: a failed statement would abort a PostgreSQL transaction.
  if ((await columnsOf(tx, 'MLMDEnv')).has('schema_version')) {
    const rows = await tx.all<{ schema_version: bigint }>('SELECT schema_version FROM MLMDEnv');
    if (rows.length === 0) {
      throw new MlmdError(
        Code.ABORTED,
        'MLMDEnv table exists but does not have a schema_version; it may be being initialised concurrently, please retry',
      );
    }
    if (rows.length > 1) throw dataLoss('MLMDEnv table has more than one schema_version');
    return Number(rows[0].schema_version);
  }
  // MLMD 0.13.2 databases (schema 0) predate MLMDEnv; they are recognised by Type.is_artifact_type (SQLite and
  // MySQL: MLMD's PostgreSQL support starts at schema 1).
  if ((await columnsOf(tx, 'Type')).has('is_artifact_type')) return 0;
  return undefined;
}

/** The columns MLMD probes for each table; a partial set of tables means a concurrent or broken initialisation. */
async function checkTables(tx: Tx): Promise<void> {
  const present: string[] = [];
  const missing: string[] = [];
  for (const table of TABLES) {
    const cols = await columnsOf(tx, table.name);
    const ok = table.columns.every((c) => c.unprobed || cols.has(c.name));
    (ok ? present : missing).push(table.name);
  }
  if (missing.length === 0) return;
  if (present.length === 0) throw new MlmdError(Code.NOT_FOUND, 'empty');
  throw new MlmdError(
    Code.ABORTED,
    `There are a subset of tables in MLMD instance. This may be due to concurrent connection to the empty database. ` +
      `Please retry the connection. checks: present tables: ${present.join(', ')}; missing tables: ${missing.join(', ')}`,
  );
}

async function createSchema(tx: Tx): Promise<void> {
  for (const table of TABLES) await tx.run(tx.adapter.ddl.createTable(table));
  await createIndexes(tx, [...UPSTREAM_INDEXES, ...EXTRA_INDEXES]);
  await tx.run('INSERT INTO MLMDEnv (schema_version) VALUES (?)', [SCHEMA_VERSION]);
}

/** Our additions to a database created elsewhere (ml-metadata): EventPath's insertion order column. */
async function completeUpstreamSchema(tx: Tx): Promise<void> {
  for (const sql of tx.adapter.ddl.completeUpstreamSchema(await columnsOf(tx, 'EventPath'))) await tx.run(sql);
}

async function seedSimpleTypes(tx: Tx): Promise<void> {
  for (const t of SIMPLE_TYPES) {
    const existing = await tx.get('SELECT id FROM Type WHERE name = ? AND version IS NULL AND type_kind = ?', [
      t.name,
      t.kind,
    ]);
    if (!existing) await tx.run('INSERT INTO Type (name, type_kind) VALUES (?, ?)', [t.name, t.kind]);
  }
}

/**
 * Whether `e` (a partial schema: some tables, or MLMDEnv without its row) is a set-up of ours that was interrupted.
 * Where DDL is transactional a partial schema can only be someone else's set-up in progress, so the caller retries,
 * as upstream has it. Where it is not (MySQL commits each CREATE TABLE), a server killed half-way through leaves one
 * behind for good; holding the initialisation lock, we finish it (every step of createSchema is idempotent).
 */
function interruptedSetUp(tx: Tx, e: unknown): boolean {
  return !tx.adapter.supportsTransactionalDdl && e instanceof MlmdError && e.code === Code.ABORTED;
}

/**
 * Prepares a database for serving: creates the schema in an empty database, checks an existing v10 one, and
 * applies MLMD's rules for other versions. Runs in one write transaction, so a failure leaves the file untouched
 * (on MySQL, whose DDL commits by itself, the steps are idempotent instead).
 */
export async function initializeStore(db: Database, options: MigrationOptions = {}): Promise<void> {
  const downgradeTo = options.downgradeToSchemaVersion ?? -1;
  await db.transaction('write', async (tx) => {
    // Several servers may open one shared database at once: initialisation runs one at a time (the lock is released
    // when the transaction ends), so concurrent CREATE TABLE / seeding / migration never race.
    await serializeOn(tx, ['cmf-mlmd:init']);
    let version: number | undefined;
    try {
      version = await readSchemaVersion(tx);
    } catch (e) {
      if (!interruptedSetUp(tx, e) || downgradeTo >= 0) throw e;
      await createSchema(tx);
      version = SCHEMA_VERSION;
    }
    if (downgradeTo >= 0) {
      if (downgradeTo > SCHEMA_VERSION) {
        throw new MlmdError(
          Code.INVALID_ARGUMENT,
          `MLMD cannot be downgraded to schema_version: ${downgradeTo}. The target version should be greater or ` +
            `equal to 0, and the current library version: ${SCHEMA_VERSION} needs to be greater than the target version.`,
        );
      }
      if (version === undefined) {
        throw new MlmdError(Code.INVALID_ARGUMENT, 'Empty database is given. Downgrade operation is not needed.');
      }
      if (version > SCHEMA_VERSION) throw newerDatabase(version);
      await downgrade(tx, version, downgradeTo);
      return;
    }
    if (version === undefined) {
      try {
        await checkTables(tx);
      } catch (e) {
        const empty = isNotFound(e);
        if (!empty && !interruptedSetUp(tx, e)) throw e;
        await createSchema(tx);
      }
    } else if (version > SCHEMA_VERSION) {
      throw newerDatabase(version);
    } else if (version < SCHEMA_VERSION) {
      if (!options.enableUpgradeMigration) {
        throw failedPrecondition(
          `MLMD database version ${version} is older than library version ${SCHEMA_VERSION}. Schema migration is ` +
            `disabled. Please upgrade the database then use the library version; or switch to a older library ` +
            `version to use the current database. For more details, please refer to ml-metadata g3doc/third_party/` +
            `ml_metadata/g3doc/get_started.md#upgrade-the-mlmd-library`,
        );
      }
      await migrate(tx, version, SCHEMA_VERSION);
    }
    await checkTables(tx);
    await completeUpstreamSchema(tx);
    // Our own indexes are also added to databases created elsewhere (cheap when they exist).
    await createIndexes(tx, EXTRA_INDEXES);
    await tx.adapter.inspectSchema(tx);
    await seedSimpleTypes(tx);
  });
  if (downgradeTo >= 0) {
    throw new MlmdError(
      Code.CANCELLED,
      `Downgrade migration was performed. Current database version is ${downgradeTo}. MetadataStore does not ` +
        `serve a database that was downgraded; use a library of that schema version to connect to it.`,
    );
  }
}

function newerDatabase(version: number): MlmdError {
  return failedPrecondition(
    `MLMD database version ${version} is greater than library version ${SCHEMA_VERSION}. Please upgrade the library ` +
      `to use the given database in order to prevent potential data loss. If data loss is acceptable, please ` +
      `downgrade the database using a newer version of library.`,
  );
}

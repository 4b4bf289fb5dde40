/**
 * Opens the configured backend and prepares its schema. The single entry point server/ and tools use.
 */
import { initializeStore, MigrationOptions } from './bootstrap';
import { Database } from './database';
import { ensureDatabase as ensureMysqlDatabase } from './mysql/create-database';
import { MysqlDatabase } from './mysql/driver';
import type { MysqlOptions } from './mysql/config';
import { ensureDatabase as ensurePostgresDatabase } from './postgres/create-database';
import { PostgresDatabase } from './postgres/driver';
import type { PostgresOptions } from './postgres/config';
import { SqliteDatabase, SqliteOptions } from './sqlite/driver';

export type BackendConfig =
  | ({ kind: 'sqlite' } & SqliteOptions)
  | ({ kind: 'postgresql' } & PostgresOptions)
  | ({ kind: 'mysql' } & MysqlOptions);

export type BackendKind = BackendConfig['kind'];

/** Compile-time exhaustiveness: a new backend kind that a switch forgets fails to type-check here. */
export function unknownBackend(kind: never): never {
  throw new Error(`unknown backend ${String(kind)}`);
}

/** Creates the database when it is missing (the shared backends; a SQLite file is created on open). */
async function ensureDatabase(config: BackendConfig): Promise<void> {
  switch (config.kind) {
    case 'sqlite':
      return;
    case 'postgresql':
      return ensurePostgresDatabase(config.config);
    case 'mysql':
      return ensureMysqlDatabase(config.config);
    default:
      return unknownBackend(config);
  }
}

export async function openDatabase(config: BackendConfig, migration: MigrationOptions = {}): Promise<Database> {
  await ensureDatabase(config);
  const db = connectDatabase(config);
  try {
    await initializeStore(db, migration);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * Connects to a backend without touching its schema: for a further connection to a store that `openDatabase`
 * already prepared (the graph worker's own connection, on its own thread).
 */
export function connectDatabase(config: BackendConfig): Database {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteDatabase(config);
    case 'postgresql':
      return new PostgresDatabase(config);
    case 'mysql':
      return new MysqlDatabase(config);
    default:
      return unknownBackend(config);
  }
}

/**
 * Opens the configured backend and prepares its schema. The single entry point server/ and tools use.
 */
import { initializeStore, type MigrationOptions } from './bootstrap';
import type { Database, StorageObserver } from './database';
import type { MysqlOptions } from './mysql/config';
import type { PostgresOptions } from './postgres/config';
import { SqliteDatabase, type SqliteOptions } from './sqlite/driver';

// The shared backends' drivers (pg, mysql2) are loaded only when configured: an embedded SQLite server starts
// without them.
const postgres = (): typeof import('./postgres/driver') => require('./postgres/driver');
const postgresSetUp = (): typeof import('./postgres/create-database') => require('./postgres/create-database');
const mysql = (): typeof import('./mysql/driver') => require('./mysql/driver');
const mysqlSetUp = (): typeof import('./mysql/create-database') => require('./mysql/create-database');

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
      return postgresSetUp().ensureDatabase(config.config);
    case 'mysql':
      return mysqlSetUp().ensureDatabase(config.config);
    default:
      return unknownBackend(config);
  }
}

export async function openDatabase(
  config: BackendConfig,
  migration: MigrationOptions = {},
  observer?: StorageObserver,
): Promise<Database> {
  await ensureDatabase(config);
  const db = connectDatabase(config, observer);
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
export function connectDatabase(config: BackendConfig, observer?: StorageObserver): Database {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteDatabase(config);
    case 'postgresql':
      return new (postgres().PostgresDatabase)(config, observer);
    case 'mysql':
      return new (mysql().MysqlDatabase)(config, observer);
    default:
      return unknownBackend(config);
  }
}

/**
 * Opens the configured backend and prepares its schema. The single entry point server/ and tools use.
 */
import { initializeStore, MigrationOptions } from './bootstrap';
import { Database, StorageObserver } from './database';
import type { PostgresOptions } from './postgres';
import { SqliteDatabase, SqliteOptions } from './sqlite';

/** `pg` is loaded only when PostgreSQL is configured: an embedded SQLite server starts without it. */
const postgres = (): typeof import('./postgres') => require('./postgres');

export type BackendConfig = ({ kind: 'sqlite' } & SqliteOptions) | ({ kind: 'postgresql' } & PostgresOptions);

export async function openDatabase(
  config: BackendConfig,
  migration: MigrationOptions = {},
  observer?: StorageObserver,
): Promise<Database> {
  if (config.kind === 'postgresql') await postgres().ensureDatabase(config.config);
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
  return config.kind === 'postgresql'
    ? new (postgres().PostgresDatabase)(config, observer)
    : new SqliteDatabase(config);
}

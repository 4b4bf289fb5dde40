/**
 * Opens the configured backend and prepares its schema. The single entry point server/ and tools use.
 */
import { initializeStore, MigrationOptions } from './bootstrap';
import { Database } from './database';
import { SqliteDatabase, SqliteOptions } from './sqlite';

export type BackendConfig = { kind: 'sqlite' } & SqliteOptions;

export async function openDatabase(config: BackendConfig, migration: MigrationOptions = {}): Promise<Database> {
  const db = new SqliteDatabase(config);
  try {
    await initializeStore(db, migration);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * Opens the configured backend and prepares its schema. The single entry point server/ and tools use.
 */
import { initializeStore, MigrationOptions } from './bootstrap';
import { Database } from './database';
import { ensureDatabase, PostgresDatabase, PostgresOptions } from './postgres';
import { SqliteDatabase, SqliteOptions } from './sqlite';

export type BackendConfig = ({ kind: 'sqlite' } & SqliteOptions) | ({ kind: 'postgresql' } & PostgresOptions);

export async function openDatabase(config: BackendConfig, migration: MigrationOptions = {}): Promise<Database> {
  let db: Database;
  if (config.kind === 'postgresql') {
    await ensureDatabase(config.config);
    db = new PostgresDatabase(config);
  } else {
    db = new SqliteDatabase(config);
  }
  try {
    await initializeStore(db, migration);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * Creating the configured PostgreSQL database when it does not exist (unless skip_db_creation), as upstream does.
 */
import { Client } from 'pg';
import type { PostgreSQLDatabaseConfig } from '../../../generated/ml_metadata/proto/metadata_store';
import { aborted, internal, MlmdError } from '../../errors';
import { clientConfig } from './config';
import { isConnectionError, type PgError } from './errors';

/**
 * Creates the configured database when it does not exist (unless skip_db_creation), as upstream does: the check and
 * CREATE DATABASE run on a connection to the `postgres` database. Concurrent servers creating it at once are fine.
 */
export async function ensureDatabase(config: PostgreSQLDatabaseConfig): Promise<void> {
  const dbname = config.dbname ?? '';
  const probe = new Client(clientConfig(config));
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return;
  } catch (e) {
    if ((e as PgError).code !== '3D000' || config.skipDbCreation) throw connectError(config, e);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new Client(clientConfig(config, 'postgres'));
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbname]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE "${dbname.replace(/"/g, '""')}"`);
      } catch (e) {
        // Another server created it between the check and CREATE DATABASE.
        const code = (e as PgError).code;
        if (code !== '42P04' && code !== '23505') throw e;
      }
    }
  } catch (e) {
    throw connectError(config, e);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

function connectError(config: PostgreSQLDatabaseConfig, e: unknown): Error {
  if (e instanceof MlmdError) return e;
  const where = `${config.hostaddr || config.host}:${config.port}/${config.dbname}`;
  const message = `Cannot connect to PostgreSQL database ${where}: ${(e as Error).message}`;
  return isConnectionError(e) ? aborted(message) : internal(message);
}

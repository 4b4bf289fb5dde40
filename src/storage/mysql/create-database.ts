/**
 * Before the pool opens: the server must have a transactional default engine, and the configured database must
 * exist. As upstream's MySQL source does on connect: refuse a non-transactional default storage engine, and run
 * CREATE DATABASE IF NOT EXISTS unless skip_db_creation is set (with it, a missing database is an error).
 */
import { createConnection } from 'mysql2/promise';
import type { MySQLDatabaseConfig } from '../../../generated/ml_metadata/proto/metadata_store';
import { aborted, failedPrecondition, internal, invalidArgument, MlmdError } from '../../errors';
import { connectionOptions, describeServer } from './config';
import { isConnectionError, type MysqlError } from './errors';

/** A database name as a quoted identifier (backquotes doubled). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export async function ensureDatabase(config: MySQLDatabaseConfig): Promise<void> {
  const database = config.database ?? '';
  if (database === '') throw invalidArgument('The MySQL configuration names no database');
  if (!config.host === !config.socket) throw invalidArgument('Exactly one of the MySQL host and socket must be set');
  let conn;
  try {
    conn = await createConnection(connectionOptions(config, ''));
    conn.on('error', () => undefined);
    const [engines] = await conn.query(
      'SELECT ENGINE AS engine, TRANSACTIONS AS tx FROM information_schema.ENGINES WHERE ENGINE = @@default_storage_engine',
    );
    const engine = (engines as Array<{ engine: string; tx: string }>)[0];
    if (!engine || engine.tx !== 'YES') {
      throw failedPrecondition(
        `The default storage engine ${engine?.engine ?? '?'} of the MySQL server has no transactions`,
      );
    }
    if (!config.skipDbCreation) await conn.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`);
    await conn.query(`USE ${quoteIdentifier(database)}`);
  } catch (e) {
    throw connectError(config, e);
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

function connectError(config: MySQLDatabaseConfig, e: unknown): Error {
  if (e instanceof MlmdError) return e;
  const message = `Cannot connect to MySQL database ${describeServer(config)}: ${(e as Error).message}`;
  if (isConnectionError(e)) return aborted(message);
  // 1049: unknown database (skip_db_creation), 1045: access denied.
  const errno = (e as MysqlError).errno;
  return errno === 1049 || errno === 1045 ? failedPrecondition(message) : internal(message);
}

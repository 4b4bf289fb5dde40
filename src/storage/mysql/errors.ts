/**
 * What a MySQL/MariaDB failure means, as MLMD's mysql_metadata_source translates it at the source:
 *   - 1213 (deadlock), 1205 (lock wait timeout), 3058 (deadlock between GET_LOCK waits) and a serializeOn lock not
 *     granted in time: a conflict; the runner (pooled.ts) re-runs the body, then answers ABORTED;
 *   - a refused, broken or killed connection, a server shutting down (2002/2003/2006/2013, 1053, 1927, 4031, 1040,
 *     socket errors, mysql2's fatal errors): a connection error; re-run once the server is back;
 *   - 1062 (duplicate entry): UniqueViolation, for the domain to translate as MLMD does;
 *   - 1264 / 1406 / 1366 (value out of range, too long, not representable in the column): INVALID_ARGUMENT;
 *   - 3024 (MySQL's max_execution_time) / 1969 (MariaDB's max_statement_time): the read time limit (the runner
 *     answers RESOURCE_EXHAUSTED);
 *   - anything else: INTERNAL.
 */
import { aborted, internal, invalidArgument, MlmdError } from '../../errors';
import { UniqueViolation } from '../database';
import { SOCKET_ERROR_CODES, type ConflictReason, type FailureClassifier } from '../pooled';

export interface MysqlError extends Error {
  /** The server's error number, or a client-side one (2002, 2013, …). */
  errno?: number;
  /** mysql2's symbolic code (ER_DUP_ENTRY, PROTOCOL_CONNECTION_LOST, ECONNREFUSED, …). */
  code?: string;
  /** mysql2: the connection cannot be used any more. */
  fatal?: boolean;
}

/** A serializeOn lock that another transaction held past the wait: retried like a lock wait timeout. */
export class LockNotGranted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockNotGranted';
  }
}

const CONNECTION_ERRNOS = new Set([
  1040, // too many connections
  1053, // server shutdown in progress
  1927, // MariaDB: connection was killed
  2002, // cannot connect through the socket
  2003, // cannot connect to the server
  2006, // server has gone away
  2013, // lost connection during query
  4031, // MySQL: disconnected by the server for inactivity
]);
const CONNECTION_CODES = new Set<string>([
  ...SOCKET_ERROR_CODES,
  'ENOENT', // the Unix socket is gone (server stopped)
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);
const CONNECTION_MESSAGES = /connection is in closed state|Pool is closed|Connection lost|connect ETIMEDOUT/i;

export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof MlmdError || e instanceof UniqueViolation) return false;
  const m = e as MysqlError;
  return (
    m.fatal === true ||
    (m.errno !== undefined && CONNECTION_ERRNOS.has(m.errno)) ||
    (m.code !== undefined && CONNECTION_CODES.has(m.code)) ||
    CONNECTION_MESSAGES.test(e.message)
  );
}

/** A deadlock or lock wait timeout (row locks, or serializeOn's named locks): the transaction can be re-run. */
export function conflict(e: unknown): ConflictReason | undefined {
  if (e instanceof LockNotGranted) return 'lock_wait_timeout';
  const errno = (e as MysqlError)?.errno;
  if (errno === 1213 || errno === 3058) return 'deadlock'; // 3058: a deadlock between GET_LOCK waits (MySQL)
  return errno === 1205 ? 'lock_wait_timeout' : undefined;
}

export function isConflict(e: unknown): boolean {
  return conflict(e) !== undefined;
}

/** A statement the server stopped at the session's statement time limit (the read time limit). */
export function isTimeLimit(e: unknown): boolean {
  const errno = (e as MysqlError)?.errno;
  return errno === 3024 || errno === 1969;
}

export function translate(e: unknown): Error {
  if (e instanceof MlmdError || e instanceof UniqueViolation || !(e instanceof Error)) return e as Error;
  const errno = (e as MysqlError).errno;
  if (errno === 1062) return new UniqueViolation(e.message);
  if (errno === 1264 || errno === 1406 || errno === 1366) {
    return invalidArgument(`A value does not fit its database column: ${e.message}`);
  }
  if (isConflict(e)) return aborted(`Concurrent transactions conflicted; please retry: ${e.message}`);
  if (isConnectionError(e)) return aborted(`The MySQL database is unreachable; please retry: ${e.message}`);
  return internal(`Error when executing query: ${e.message}`);
}

export const MYSQL_FAILURES: FailureClassifier = { isConnectionError, conflict, isTimeLimit, translate };

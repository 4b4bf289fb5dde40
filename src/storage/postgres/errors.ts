/**
 * What a PostgreSQL failure means to the transaction runner (pooled.ts) and to the caller:
 *   - SQLSTATE 40001 / 40P01 (serialisation failure, deadlock): a conflict; the body is re-run;
 *   - a broken or refused connection, a server shutting down or starting up: a connection error; re-run;
 *   - 23505 (unique violation): UniqueViolation, for the domain to translate as MLMD does;
 *   - 22003 (numeric value out of range): INVALID_ARGUMENT (a safety net: values.ts refuses int64 values beyond an
 *     INT int_value column before they reach the database); any other data exception (class 22: a string too long
 *     for its column, a NUL byte in text) and any program limit (class 54: statement too complex) is INVALID_ARGUMENT
 *     too, and out of memory / disk (class 53) RESOURCE_EXHAUSTED;
 *   - 57014 from statement_timeout: the read time limit (the runner answers RESOURCE_EXHAUSTED);
 *   - anything else: INTERNAL.
 */
import { aborted, internal, invalidArgument, MlmdError, resourceExhausted } from '../../errors';
import { UniqueViolation } from '../database';
import { SOCKET_ERROR_CODES, type ConflictReason, type FailureClassifier } from '../pooled';

export interface PgError extends Error {
  code?: string;
}

const CONNECTION_CODES = new Set<string>(SOCKET_ERROR_CODES);
const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|Client was closed|terminating connection|the database system is (starting up|shutting down|in recovery)|Connection ended/i;

/** A failure of the connection (not of a statement): the database is down, restarting, or the socket broke. */
export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof MlmdError) return false;
  const raw = (e as PgError).code;
  const code = typeof raw === 'string' ? raw : '';
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') ||
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now
    code === '53300' || // too_many_connections
    CONNECTION_MESSAGES.test(e.message)
  );
}

/** A serialisation failure or deadlock: the transaction can be re-run. */
export function conflict(e: unknown): ConflictReason | undefined {
  if (e instanceof MlmdError) return undefined;
  const code = (e as PgError)?.code;
  return code === '40001' ? 'serialization_failure' : code === '40P01' ? 'deadlock' : undefined;
}

export function isSerializationError(e: unknown): boolean {
  return conflict(e) !== undefined;
}

/** A statement cancelled by the transaction's statement_timeout. */
export function isTimeLimit(e: unknown): boolean {
  return e instanceof Error && (e as PgError).code === '57014' && /statement timeout/i.test(e.message);
}

export function translate(e: unknown): Error {
  if (e instanceof MlmdError || e instanceof UniqueViolation || !(e instanceof Error)) return e as Error;
  const code = (e as PgError).code;
  if (code === '23505') return new UniqueViolation(e.message);
  if (code === '22003') {
    return invalidArgument(
      `Value out of range for the database column: ${e.message} (int_value is a 32-bit INT in PostgreSQL databases ` +
        `created by ml-metadata)`,
    );
  }
  if (code?.startsWith('22')) return invalidArgument(`The request holds a value the database refuses: ${e.message}`);
  if (code?.startsWith('54')) return invalidArgument(`The request exceeds a limit of the database: ${e.message}`);
  if (code?.startsWith('53') && !isConnectionError(e)) {
    return resourceExhausted(`The database ran out of resources: ${e.message}`);
  }
  if (isSerializationError(e)) return aborted(`Concurrent transactions conflicted; please retry: ${e.message}`);
  if (isConnectionError(e)) return aborted(`The PostgreSQL database is unreachable; please retry: ${e.message}`);
  return internal(`Error when executing query: ${e.message}`);
}

export const PG_FAILURES: FailureClassifier = { isConnectionError, conflict, isTimeLimit, translate };

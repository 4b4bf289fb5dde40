/**
 * SQLite failures as the statuses MLMD clients expect. Shared by the server's connection and the reader threads.
 *
 *   busy / locked            ABORTED (the only status MLMD clients retry on)
 *   UNIQUE / PRIMARY KEY     UniqueViolation (the domain decides: ALREADY_EXISTS where MLMD says so)
 *   read-only database       FAILED_PRECONDITION
 *   one of SQLite's limits   INVALID_ARGUMENT naming it (the request is too large or too complex for the database);
 *                            filter limits (query/limits.ts) refuse what they can before SQL is built, this is the net
 *   out of memory / disk     RESOURCE_EXHAUSTED
 *   anything else            INTERNAL
 */
import { aborted, Code, internal, invalidArgument, MlmdError, resourceExhausted } from '../../errors';
import { UniqueViolation } from '../database';

/** SQLite's messages when a statement exceeds one of its compile-time or run-time limits. */
const LIMIT_MESSAGES =
  /Expression tree is too large|too many SQL variables|at most \d+ tables in a join|too many FROM clause terms|parser stack overflow|too many terms in compound SELECT|too many arguments on function|too many columns|LIKE or GLOB pattern too complex|string or blob too big|statement too long|too many references to/i;

export function translateSqliteError(e: unknown): Error {
  if (e instanceof MlmdError || !(e instanceof Error)) return e as Error;
  const code = (e as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return aborted(`Concurrent writes aborted: the database is locked (${e.message})`);
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new UniqueViolation(e.message);
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new MlmdError(Code.FAILED_PRECONDITION, `The metadata store is read-only: ${e.message}`);
  }
  if (code === 'SQLITE_TOOBIG' || LIMIT_MESSAGES.test(e.message)) {
    return invalidArgument(`The request exceeds a limit of the SQLite database: ${e.message}`);
  }
  if (code === 'SQLITE_NOMEM' || code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR_NOMEM')) {
    return resourceExhausted(`The SQLite database ran out of resources: ${e.message}`);
  }
  return internal(`Error when executing query: ${e.message}`);
}

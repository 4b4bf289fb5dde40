/**
 * The time limit of read transactions, shared by the layers that enforce it: storage/ times the transaction out
 * (PostgreSQL's statement_timeout; on SQLite a deadline its connections check), and filter SQL built by query/
 * calls, on SQLite, the check function storage/ registers. This module imports nothing, so every layer may use it.
 */
import { MlmdError, Code } from './errors';

/** The SQL function a SQLite statement calls to check its deadline (returns 1, or fails the statement). */
export const TIME_LIMIT_CHECK = 'mlmd_within_time_limit';

/** Default time limit of one read transaction (one read RPC), in milliseconds. */
export const DEFAULT_READ_TIME_LIMIT_MS = 10_000;

/** The error of a read that ran past its time limit: the request asks for more work than the server allows. */
export function timeLimitExceeded(limitMs: number): MlmdError {
  return new MlmdError(
    Code.RESOURCE_EXHAUSTED,
    `The query ran longer than the read time limit of ${limitMs} ms (MLMD_READ_TIME_LIMIT_MS); ` +
      'narrow the filter_query or the request',
  );
}

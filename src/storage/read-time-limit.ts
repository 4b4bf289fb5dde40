/**
 * How each backend bounds a read transaction to the read time limit (src/time-limit.ts). The limit covers the whole
 * read RPC, retries included; no statement starts once it has passed, and a running one is stopped by the backend:
 *
 *   PostgreSQL  SET LOCAL statement_timeout (this transaction only), sent with BEGIN; error 57014 "canceling
 *               statement due to statement timeout" (postgres/driver.ts).
 *   MySQL       SET SESSION max_execution_time (milliseconds; SELECT statements only, which is all a read runs); error
 *               3024. MariaDB: SET SESSION max_statement_time (seconds); error 1969. Set when a read begins on a
 *               connection whose setting differs, and cleared before a write (mysql/driver.ts).
 *   SQLite      nothing to run: its connections check a deadline themselves (sqlite/deadline.ts).
 */
import { DEFAULT_READ_TIME_LIMIT_MS } from '../time-limit';

/** The read time limit of a store: its option, else $MLMD_READ_TIME_LIMIT_MS, else DEFAULT_READ_TIME_LIMIT_MS. */
export function readTimeLimitMs(option?: number): number {
  const configured = Number(process.env.MLMD_READ_TIME_LIMIT_MS);
  return option ?? (configured > 0 ? configured : DEFAULT_READ_TIME_LIMIT_MS);
}

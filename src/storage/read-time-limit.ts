/**
 * How each backend bounds the statements of a read transaction to the read time limit (src/time-limit.ts). Called
 * right after BEGIN; the backend's own timeout error must then be translated with `timeLimitExceeded`.
 *
 *   PostgreSQL  SET LOCAL statement_timeout (this transaction only); error 57014 "canceling statement due to
 *               statement timeout".
 *   SQLite      nothing to run: its connections check a deadline themselves (sqlite-deadline.ts).
 *   MySQL / MariaDB (when added): SET SESSION max_execution_time (MySQL, milliseconds, SELECT only; error 3024) or
 *               max_statement_time (MariaDB, seconds; error 1969), reset after the transaction.
 */
import { DEFAULT_READ_TIME_LIMIT_MS } from '../time-limit';
import type { Dialect } from './database';

/** The read time limit of a store: its option, else $MLMD_READ_TIME_LIMIT_MS, else DEFAULT_READ_TIME_LIMIT_MS. */
export function readTimeLimitMs(option?: number): number {
  const configured = Number(process.env.MLMD_READ_TIME_LIMIT_MS);
  return option ?? (configured > 0 ? configured : DEFAULT_READ_TIME_LIMIT_MS);
}

export function readTimeLimitSql(dialect: Dialect, limitMs: number): string[] {
  switch (dialect) {
    case 'postgres':
      return [`SET LOCAL statement_timeout = ${Math.max(1, Math.ceil(limitMs))}`];
    case 'sqlite':
      return [];
  }
}

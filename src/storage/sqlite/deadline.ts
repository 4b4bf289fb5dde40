/**
 * The time limit of a better-sqlite3 connection's transaction. better-sqlite3 (12) can neither interrupt a running
 * statement (no sqlite3_interrupt) nor install a progress handler (its build defines SQLITE_OMIT_PROGRESS_CALLBACK),
 * so the statement checks itself: filter SQL calls TIME_LIMIT_CHECK every so many rows (query/dialect.ts), and the
 * function fails the statement once the deadline has passed. Statements are also checked before they start.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { Code, MlmdError } from '../../errors';
import { TIME_LIMIT_CHECK, timeLimitExceeded } from '../../time-limit';

export class ConnectionDeadline {
  private deadline = Infinity;
  private limitMs = 0;

  /**
   * @param cancelled a flag (element 0) another thread sets to stop the running statement at its next check: the
   *   server's thread closing the store cannot send a message to a thread busy in a statement, but shared memory
   *   is read by the check itself.
   */
  constructor(
    conn: BetterSqlite3.Database,
    private readonly cancelled?: Int32Array,
  ) {
    conn.function(TIME_LIMIT_CHECK, { deterministic: false }, () => {
      this.check();
      return 1;
    });
  }

  /** From now on, statements of this connection fail `limitMs` milliseconds after `startedAt` (Date.now() time). */
  set(limitMs: number, startedAt = Date.now()): void {
    this.limitMs = limitMs;
    this.deadline = startedAt + limitMs;
  }

  clear(): void {
    this.deadline = Infinity;
  }

  /** Throws the time-limit error (RESOURCE_EXHAUSTED) once the deadline has passed, UNAVAILABLE once cancelled. */
  check(): void {
    if (this.cancelled && Atomics.load(this.cancelled, 0) !== 0)
      throw new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down');
    if (Date.now() > this.deadline) throw timeLimitExceeded(this.limitMs);
  }
}

/**
 * The transaction runner shared by the pooled backends (PostgreSQL, MySQL/MariaDB): each transaction runs on its own
 * pooled connection, and failures after which re-running the whole body is safe are retried inside the server.
 *
 *   - retryable (the backend classifies): serialisation failures and deadlocks, lock wait timeouts, a connection
 *     lost before COMMIT was sent, and a domain ABORTED (e.g. a context created concurrently). The body is re-run, a
 *     bounded number of times with jittered exponential back-off; past the budget the call answers ABORTED, the
 *     status MLMD clients retry on. Re-running is safe: nothing of a rolled-back attempt persists.
 *   - in doubt: the connection was lost while COMMIT was in flight, so the outcome is unknown. Never re-run (the
 *     first attempt may have committed); the backend throws InDoubt carrying an UNAVAILABLE.
 *   - anything else: translated once (MlmdError or UniqueViolation) and thrown.
 *
 * A read transaction has a deadline (the read time limit, read-time-limit.ts) covering the whole call, retries
 * included: the backend bounds each statement by what is left, and no statement starts past it (RESOURCE_EXHAUSTED).
 *
 * Closing waits for the transactions still running, then ends the pool.
 */
import { Code, MlmdError } from '../errors';
import { timeLimitExceeded } from '../time-limit';
import type { Database, Dialect, PoolStats, RetryReason, StorageObserver, Tx, TxMode } from './database';
import type { DialectAdapter } from './adapter';

/** How a backend reads its driver's failures. */
export interface FailureClassifier {
  /** A failure of the connection itself (database down, restarting, socket broken), not of a statement. */
  isConnectionError(e: unknown): boolean;
  /** A conflict with other transactions that a re-run can resolve (serialisation failure, deadlock, lock timeout). */
  conflict(e: unknown): ConflictReason | undefined;
  /** A statement the database stopped at the time limit the backend set for it. */
  isTimeLimit(e: unknown): boolean;
  /** The error a caller sees for a raw driver failure. */
  translate(e: unknown): Error;
}

/** Node's socket and name-resolution error codes: the database cannot be reached (both drivers report these). */
export const SOCKET_ERROR_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
] as const;

/** The retry reasons of conflicts between transactions. */
export type ConflictReason = Exclude<RetryReason, 'connection_lost' | 'aborted'>;

/** A failure after which the transaction's outcome is unknown: never re-run. */
export class InDoubt extends Error {
  constructor(readonly error: MlmdError) {
    super(error.message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What commitAfter needs of a connection: to run a statement without parameters. */
export interface TxSession {
  query(sql: string): Promise<unknown>;
}

export abstract class PooledDatabase implements Database {
  abstract readonly dialect: Dialect;
  abstract readonly adapter: DialectAdapter;
  /** The database's name in messages ("PostgreSQL", "MySQL"). */
  protected abstract readonly label: string;
  private closed = false;
  private readonly running = new Set<Promise<unknown>>();
  private unobservePool?: () => void;

  protected constructor(
    private readonly classifier: FailureClassifier,
    private readonly maxRetries: number,
    private readonly observer: StorageObserver | undefined,
    /** The time limit of one read transaction, in milliseconds. */
    protected readonly readTimeLimitMs: number,
  ) {}

  /** Publishes the pool's use to the observer (the subclass calls it once its pool exists). */
  protected observePool(stats: () => PoolStats): void {
    this.unobservePool = this.observer?.poolOpened(this.dialect, stats);
  }

  /**
   * One attempt: BEGIN, body, COMMIT on one pooled connection; throws the raw failure (or InDoubt). `deadline` (a
   * Date.now() instant; Infinity for writes) bounds a read's statements: see `timeLeft`.
   */
  protected abstract attempt<T>(mode: TxMode, body: (tx: Tx) => Promise<T>, deadline: number): Promise<T>;
  /** Releases every pooled connection. */
  protected abstract endPool(): Promise<void>;

  transaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down'));
    const run = this.withRetries(mode, body);
    this.running.add(run);
    const done = () => this.running.delete(run);
    run.then(done, done);
    return run;
  }

  /** Why `e` calls for a re-run, or undefined when it does not. */
  private retryReason(e: unknown): RetryReason | undefined {
    if (e instanceof InDoubt) return undefined;
    if (e instanceof MlmdError) return e.code === Code.ABORTED ? 'aborted' : undefined;
    return this.classifier.conflict(e) ?? (this.classifier.isConnectionError(e) ? 'connection_lost' : undefined);
  }

  /**
   * The end of an attempt on one connection whose transaction has begun: `body`, then COMMIT; ROLLBACK when either
   * fails. `markBroken` is called when the connection must not be reused (it failed, or ROLLBACK did). A connection
   * lost while COMMIT was in flight throws InDoubt: the outcome is unknown, so the call is never re-run.
   */
  protected async commitAfter<T>(session: TxSession, body: () => Promise<T>, markBroken: () => void): Promise<T> {
    let result: T;
    try {
      result = await body();
    } catch (e) {
      await this.rollBack(session, e, markBroken);
      throw e;
    }
    try {
      await session.query('COMMIT');
    } catch (e) {
      if (!this.classifier.isConnectionError(e)) {
        await this.rollBack(session, e, markBroken);
        throw e;
      }
      markBroken();
      throw new InDoubt(
        new MlmdError(
          Code.UNAVAILABLE,
          `The connection to ${this.label} was lost while committing; the outcome of this call is unknown: ` +
            (e as Error).message,
        ),
      );
    }
    return result;
  }

  /** Rolls back after `failure`; a connection that failed, or fails to roll back, is marked broken. */
  private async rollBack(session: TxSession, failure: unknown, markBroken: () => void): Promise<void> {
    if (this.classifier.isConnectionError(failure)) return markBroken();
    try {
      await session.query('ROLLBACK');
    } catch {
      markBroken();
    }
  }

  /** Milliseconds left before `deadline`; past it, the time-limit error (no statement may start). */
  protected timeLeft(deadline: number): number {
    const left = deadline - Date.now();
    if (left <= 0) throw timeLimitExceeded(this.readTimeLimitMs);
    return left;
  }

  /** The error a caller sees for a raw failure of a statement or transaction. */
  protected translate(e: unknown): Error {
    return this.classifier.isTimeLimit(e) ? timeLimitExceeded(this.readTimeLimitMs) : this.classifier.translate(e);
  }

  private async withRetries<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
    const deadline = mode !== 'write' ? Date.now() + this.readTimeLimitMs : Infinity;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(mode, body, deadline);
      } catch (e) {
        const reason = this.retryReason(e);
        if (reason !== undefined && attempt < this.maxRetries && !this.closed) {
          this.observer?.transactionRetried(this.dialect, reason);
          // Jittered exponential back-off: 10 ms .. ~1.3 s; connection failures start higher (a restart takes seconds).
          const base = reason === 'connection_lost' ? 100 : 10;
          await sleep(base * 2 ** Math.min(attempt, 6) * (0.5 + Math.random()));
          continue;
        }
        throw e instanceof InDoubt ? e.error : this.translate(e);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    this.unobservePool?.();
    await this.endPool();
  }
}

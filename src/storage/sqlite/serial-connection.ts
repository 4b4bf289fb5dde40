/**
 * A better-sqlite3 connection on the server's thread that runs one transaction at a time (driver.ts has two: the
 * writer, and a read-only one for lookups).
 *
 * better-sqlite3 is synchronous, but domain code awaits between statements, and other RPCs' continuations can run
 * in those gaps: so transactions are queued, each starting when the previous one has settled. A transaction that
 * finds the connection idle starts at once, without a turn of the queue (the common case of a lookup).
 *
 * Statements are prepared once and cached (a bounded LRU). Integers are read as bigint (safeIntegers) so int64 ids,
 * values and timestamps round-trip exactly.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Tx } from '../database';
import { LruCache, STATEMENT_CACHE_SIZE } from '../statement-cache';
import { ConnectionDeadline } from './deadline';
import { translateSqliteError } from './errors';
import { sqliteTx } from './tx';

export class SerialConnection {
  private readonly statements: LruCache<BetterSqlite3.Statement>;
  private readonly deadline: ConnectionDeadline;
  /** Tail of the transaction queue: each transaction starts when the previous one has settled. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Transactions queued or running. */
  private pending = 0;

  constructor(readonly conn: BetterSqlite3.Database) {
    conn.defaultSafeIntegers(true);
    this.statements = new LruCache(STATEMENT_CACHE_SIZE, (sql) => conn.prepare(sql));
    this.deadline = new ConnectionDeadline(conn);
  }

  /**
   * Runs `body` in a transaction begun with `begin`, after every transaction queued before it; with `timeLimitMs`,
   * its statements fail past that time (writes run to completion).
   */
  transaction<T>(begin: 'BEGIN' | 'BEGIN IMMEDIATE', timeLimitMs: number | undefined, body: (tx: Tx) => Promise<T>) {
    const run =
      this.pending === 0
        ? this.runTransaction(begin, timeLimitMs, body)
        : this.queue.then(() => this.runTransaction(begin, timeLimitMs, body));
    this.pending++;
    const settled = run.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    this.queue = settled;
    return run;
  }

  private async runTransaction<T>(
    begin: string,
    timeLimitMs: number | undefined,
    body: (tx: Tx) => Promise<T>,
  ): Promise<T> {
    if (timeLimitMs !== undefined) this.deadline.set(timeLimitMs);
    try {
      this.exec(begin);
      const result = await body(this.tx);
      this.exec('COMMIT');
      return result;
    } catch (e) {
      if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
      throw e;
    } finally {
      this.deadline.clear();
    }
  }

  private readonly tx: Tx = sqliteTx((method, sql, params) =>
    this.guard(() => {
      const stmt = this.statement(sql);
      return method === 'run' ? { changes: stmt.run(...params).changes } : stmt[method](...params);
    }),
  );

  /** Runs raw SQL outside the queue. */
  exec(sql: string): void {
    this.guard(() => this.conn.exec(sql));
  }

  private statement(sql: string): BetterSqlite3.Statement {
    this.deadline.check();
    return this.statements.get(sql);
  }

  /** Translates SQLite failures into the statuses MLMD clients expect. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw translateSqliteError(e);
    }
  }

  /** Waits for the queued transactions, then closes the connection (a writer's WAL checkpointed first). */
  async close(): Promise<void> {
    await this.queue;
    this.statements.clear();
    if (!this.conn.open) return;
    if (!this.conn.readonly && this.conn.name !== ':memory:') this.conn.pragma('wal_checkpoint(TRUNCATE)');
    this.conn.close();
  }
}

/**
 * The background worker: drains the outbox to Neo4j after commit, oldest rows first, a batch per Neo4j
 * transaction. A failed batch (Neo4j down, slow, restarting) is retried with exponential backoff and deleted from
 * the outbox only after Neo4j acknowledged it, so nothing is lost; since every row is re-derived from the store's
 * current state and written with MERGE, a batch written twice (acknowledged, but the delete did not happen) changes
 * nothing. It never runs inside a request's transaction and never makes a request wait.
 */
import type { Driver } from 'neo4j-driver';
import type { Database } from '../storage/database';
import type { GraphConfig } from './config';
import { ensureSchema, writeRows } from './neo4j';
import {
  decodeChangesInto,
  dedupeChanges,
  deleteOutbox,
  noChanges,
  type OutboxLag,
  outboxLag,
  readOutbox,
} from './outbox';
import { projectChanges } from './project';

export type Log = (line: string) => void;

export interface WorkerStatus {
  lag: OutboxLag;
  /** Consecutive failed attempts of the current batch. */
  failures: number;
  lastError?: string;
  drainedRows: number;
  healthy: boolean;
}

/** What the server holds of a running worker, whether it runs in-process or on its own thread. */
export interface ProjectionWorker {
  start(): void;
  /** A commit appended to the outbox: drain soon. */
  kick(): void;
  /** Stops after the batch in flight (the outbox keeps whatever is left for the next start). */
  stop(): Promise<void>;
  status(): WorkerStatus;
  onStatus(listener: (s: WorkerStatus) => void): void;
  /** Reads the lag from the outbox now and publishes it. */
  reportLag(): Promise<OutboxLag>;
}

export class GraphWorker implements ProjectionWorker {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private kicked = false;
  private failures = 0;
  private lastError?: string;
  private drainedRows = 0;
  private schemaReady = false;
  private lastLag: OutboxLag = { rows: 0, oldestAgeMs: 0 };
  private lagTimer?: NodeJS.Timeout;
  private readonly listeners = new Set<(s: WorkerStatus) => void>();

  constructor(
    private readonly db: Database,
    private readonly driver: Driver,
    private readonly config: GraphConfig,
    private readonly log: Log = () => undefined,
  ) {}

  /** Called after a commit that appended to the outbox: drain now rather than at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    if (this.config.lagLogMs > 0) {
      // A timer tick awaits nothing; reportLag never rejects (a failed read keeps the last figures).
      this.lagTimer = setInterval(() => void this.reportLag(), this.config.lagLogMs);
      this.lagTimer.unref();
    }
  }

  /** Stops after the batch in flight (the outbox keeps whatever is left for the next start). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.wake?.();
    await this.loop;
  }

  onStatus(listener: (s: WorkerStatus) => void): void {
    this.listeners.add(listener);
  }

  status(): WorkerStatus {
    return {
      lag: this.lastLag,
      failures: this.failures,
      lastError: this.lastError,
      drainedRows: this.drainedRows,
      healthy: this.lastLag.oldestAgeMs <= this.config.lagThresholdMs,
    };
  }

  /** Reads the lag from the outbox, publishes it, and logs it when behind. */
  async reportLag(): Promise<OutboxLag> {
    try {
      this.lastLag = await outboxLag(this.db);
    } catch {
      return this.lastLag;
    }
    const s = this.status();
    for (const l of this.listeners) l(s);
    if (this.lastLag.rows > 0 && this.config.lagLogMs > 0) {
      this.log(
        `graph: projection lag ${this.lastLag.rows} outbox rows, oldest ${(this.lastLag.oldestAgeMs / 1000).toFixed(1)}s` +
          (this.failures > 0 ? ` (Neo4j failing ${this.failures}x: ${this.lastError})` : ''),
      );
    }
    return this.lastLag;
  }

  /** Drains the backlog in batches (with `untilEmpty`, also what commits meanwhile); throws on a Neo4j failure. */
  async drainOnce(untilEmpty = false): Promise<number> {
    if (!this.schemaReady) {
      await ensureSchema(this.driver, this.config.database);
      this.schemaReady = true;
    }
    let total = 0;
    for (;;) {
      const rows = await readOutbox(this.db, this.config.batchRows);
      if (rows.length === 0) break;
      const merged = noChanges();
      for (const r of rows) decodeChangesInto(merged, r.payload);
      const changes = dedupeChanges(merged);
      const graphRows = await this.db.transaction('read', (tx) => projectChanges(tx, changes));
      await writeRows(this.driver, graphRows, this.config.database);
      await deleteOutbox(
        this.db,
        rows.map((r) => r.id),
      );
      total += rows.length;
      this.drainedRows += rows.length;
      if (!this.running && this.loop) break;
      // A short batch means the backlog is gone; what commits next is coalesced by the loop (untilEmpty: go on).
      if (rows.length < this.config.batchRows && !untilEmpty) break;
    }
    return total;
  }

  /** A kick (a commit) wakes a `wakeable` sleep; a retry back-off is never cut short by commits (only by stop). */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = wakeable ? done : () => (this.running ? undefined : done());
    });
  }

  private async run(): Promise<void> {
    let delay = this.config.minBackoffMs;
    while (this.running) {
      this.kicked = false;
      try {
        await this.drainOnce();
        if (this.failures > 0)
          this.log(`graph: Neo4j reachable again after ${this.failures} failed attempts; caught up`);
        this.failures = 0;
        this.lastError = undefined;
        delay = this.config.minBackoffMs;
        await this.reportLag();
        if (!this.running) break;
        if (!this.kicked) await this.sleep(this.config.pollMs, true);
        // Coalesce the commits of the next moment into one batch. Neo4j's cost is mostly per transaction and per
        // statement, so while logging goes on, fewer and larger batches leave more of a shared machine to it.
        if (this.running) await this.sleep(this.config.coalesceMs, false);
      } catch (e) {
        this.failures++;
        this.lastError = (e as Error).message.split('\n')[0].slice(0, 200);
        if (this.failures === 1 || this.failures % 20 === 0) {
          this.log(`graph: Neo4j write failed (attempt ${this.failures}, next in ${delay} ms): ${this.lastError}`);
        }
        this.schemaReady = false;
        await this.reportLag();
        if (!this.running) break;
        await this.sleep(delay, false);
        delay = Math.min(this.config.maxBackoffMs, Math.max(1, delay * 2));
      }
    }
  }
}

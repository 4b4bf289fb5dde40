/**
 * Read transactions of a SQLite store, on threads of their own (reader-thread.ts), so that a read never
 * blocks the server's event loop: better-sqlite3 is synchronous, and on the server's thread a slow read froze
 * every other client, health checks and SIGTERM until it finished.
 *
 * Each thread has its own read-only connection to the file; WAL mode lets them read beside the server's writing
 * connection, each transaction on one snapshot. A read transaction takes an idle thread (threads are started on
 * demand, up to `maxThreads`; then transactions wait for one). A task (storage/read-task.ts) goes to the thread
 * whole, in one message, and its result comes back in one; any other body runs on the server's thread and sends the
 * thread its statements one at a time. The thread is released when it has finished the transaction.
 *
 * Time limit: a transaction has `timeLimitMs` from the moment it asks for a thread. Past it, the caller gets the
 * time-limit error at once (RESOURCE_EXHAUSTED), and the thread stops the statement at its next check (filter SQL
 * checks itself as it runs; any statement is checked before it starts) before it takes another transaction.
 */
import { Worker } from 'node:worker_threads';
import { Code, MlmdError } from '../../errors';
import { threadScript } from '../../thread-script';
import { timeLimitExceeded } from '../../time-limit';
import type { Tx } from '../database';
import type { ReadTask } from '../read-task';
import { sqliteTx } from './tx';
import { fromWireError, type FromReader, type ReaderThreadData, type ToReader } from './reader-thread';

export interface SqliteReadersOptions {
  path: string;
  busyTimeoutMs: number;
  maxThreads: number;
  timeLimitMs: number;
}

/** A message answered with a result, as the pool sends it (the thread numbers it). */
type Request = DistributiveOmit<Extract<ToReader, { type: 'statement' | 'task' }>, 'id'>;
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** One thread and its connection; it runs one transaction at a time. */
class ReaderThread {
  readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private ended?: () => void;
  private closed?: () => void;
  /** Set when the thread can take no more work (it failed to open, or exited). */
  dead?: Error;
  private readonly cancelFlag: Int32Array;

  constructor(data: ReaderThreadData, onExit: (t: ReaderThread) => void) {
    this.cancelFlag = new Int32Array(data.cancelled);
    this.worker = new Worker(threadScript(require.resolve('./reader-thread')), {
      eval: true,
      workerData: data,
    });
    this.worker.on('message', (m: FromReader) => this.onMessage(m));
    this.worker.on('error', (e) =>
      this.fail(new MlmdError(Code.INTERNAL, `SQLite reader thread failed: ${e.message}`)),
    );
    this.worker.on('exit', () => {
      this.fail(new MlmdError(Code.UNAVAILABLE, 'The SQLite reader thread stopped'));
      this.closed?.();
      onExit(this);
    });
  }

  private onMessage(m: FromReader): void {
    switch (m.type) {
      case 'result': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(fromWireError(m.error));
        break;
      }
      case 'ended':
        this.ended?.();
        break;
      case 'closed':
        this.closed?.();
        break;
      case 'failed':
        this.fail(fromWireError(m.error));
        break;
    }
  }

  private fail(error: Error): void {
    this.dead ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.ended?.();
  }

  /** Sends a statement or a task; resolves with its result. */
  call(message: Request): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id } satisfies ToReader);
    });
  }

  /** Stops the running statement at its next check (it fails UNAVAILABLE); for good: the thread is closing. */
  cancel(): void {
    Atomics.store(this.cancelFlag, 0, 1);
  }

  /** Finishes the transaction; resolves when the thread can take the next one. */
  end(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => {
      this.ended = () => {
        this.ended = undefined;
        resolve();
      };
      this.worker.postMessage({ type: 'end' } satisfies ToReader);
    });
  }

  close(): Promise<void> {
    if (this.dead) return this.worker.terminate().then(() => undefined);
    return new Promise((resolve) => {
      this.closed = resolve;
      this.worker.postMessage({ type: 'close' } satisfies ToReader);
    });
  }
}

export class SqliteReaders {
  private readonly threads: ReaderThread[] = [];
  private readonly idle: ReaderThread[] = [];
  /** Transactions waiting for a thread, first come first served. */
  private readonly waiting: Array<(t: ReaderThread | Error) => void> = [];
  /** Transactions in progress, until their thread has finished them. */
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;
  /** Task modules every thread loads at start (preload). */
  private readonly preloads = new Set<string>();

  constructor(private readonly options: SqliteReadersOptions) {}

  /** A read transaction whose body runs here and sends the thread one statement at a time. */
  transaction<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    return this.run((send) =>
      body(sqliteTx((method, sql, params) => send({ type: 'statement', method, sql, params }))),
    );
  }

  /** A read transaction whose whole body runs on the thread: one message there and one back. */
  task(task: ReadTask, input: unknown): Promise<unknown> {
    return this.run((send) => send({ type: 'task', task, input }));
  }

  /**
   * Runs `use` with a thread of its own: `send` sends the thread a message (the first one carries the time limit)
   * and fails with the time-limit error once the transaction is past it.
   */
  private async run<T>(use: (send: (message: Request) => Promise<unknown>) => Promise<T>): Promise<T> {
    if (this.closed) throw new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down');
    const limitMs = this.options.timeLimitMs;
    const startedAt = Date.now();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // Rejected at the deadline: whatever the caller is waiting for (a thread, a statement) fails then.
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(timeLimitExceeded(limitMs));
      }, limitMs);
    });
    expired.catch(() => undefined);
    let thread: ReaderThread | undefined;
    try {
      const acquiring = this.acquire();
      try {
        thread = await Promise.race([acquiring, expired]);
      } catch (e) {
        // Timed out waiting: the thread, when it comes, goes straight back (a pool closing meanwhile rejects the
        // wait instead: nothing to give back, and no unhandled rejection).
        acquiring.then(
          (t) => this.release(t),
          () => undefined,
        );
        throw e;
      }
      const t = thread;
      let first = true;
      const send = (message: Request) => {
        if (timedOut) return Promise.reject(timeLimitExceeded(limitMs));
        const limit = first ? { ms: limitMs, startedAt } : undefined;
        first = false;
        return Promise.race([t.call({ ...message, limit }), expired]);
      };
      return await use(send);
    } finally {
      clearTimeout(timer);
      if (thread) {
        const t = thread;
        // The thread returns to the pool once it has finished this transaction (possibly after its deadline).
        const finished = t.end().then(() => this.release(t));
        this.running.add(finished);
        // Not awaited: the caller has its answer; close() awaits `running` (end() and release() never reject).
        void finished.then(() => this.running.delete(finished));
      }
    }
  }

  private acquire(): Promise<ReaderThread> {
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(this.busy(idle));
    if (this.threads.length < this.options.maxThreads) return Promise.resolve(this.busy(this.spawn()));
    return new Promise<ReaderThread>((resolve, reject) => {
      this.waiting.push((t) => (t instanceof Error ? reject(t) : resolve(this.busy(t))));
    });
  }

  /** An idle thread does not keep the process alive; one running a transaction does (its caller awaits it). */
  private busy(t: ReaderThread): ReaderThread {
    t.worker.ref();
    return t;
  }

  private release(t: ReaderThread): void {
    if (t.dead || this.closed || !this.threads.includes(t)) return;
    const next = this.waiting.shift();
    if (next) return next(t);
    t.worker.unref();
    this.idle.push(t);
  }

  /**
   * Readies every thread for `task` ahead of its first use: loading a task's module (the MLMD domain) takes longer
   * than most reads, and must not count against the first reads' time limit. So the pool starts all its threads
   * now, each loading the module before it takes a transaction, and threads started later load it too.
   */
  preload(task: ReadTask): void {
    if (this.closed || this.preloads.has(task.module)) return;
    this.preloads.add(task.module);
    for (const t of this.threads) t.worker.postMessage({ type: 'preload', module: task.module } satisfies ToReader);
    while (this.threads.length < this.options.maxThreads) this.release(this.spawn());
  }

  private spawn(): ReaderThread {
    const t = new ReaderThread(
      {
        sqliteReaderThread: true,
        path: this.options.path,
        busyTimeoutMs: this.options.busyTimeoutMs,
        cancelled: new SharedArrayBuffer(4),
        preload: [...this.preloads],
      },
      (gone) => this.forget(gone),
    );
    this.threads.push(t);
    return t;
  }

  /** A thread that exited is dropped; a waiting transaction gets a new one (or the thread's error once closing). */
  private forget(t: ReaderThread): void {
    const i = this.threads.indexOf(t);
    if (i >= 0) this.threads.splice(i, 1);
    const j = this.idle.indexOf(t);
    if (j >= 0) this.idle.splice(j, 1);
    const next = this.waiting.shift();
    if (next) next(this.closed ? (t.dead ?? new Error('closed')) : this.spawn());
  }

  /**
   * Closes every thread's connection: new transactions are refused, waiting ones fail, running statements stop at
   * their next check (UNAVAILABLE). A statement without checks (not filter SQL) runs to its end: the process cannot
   * exit before its threads, so closing waits for it.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(new MlmdError(Code.UNAVAILABLE, 'The metadata store is shutting down'));
    for (const t of this.threads) {
      t.cancel();
      t.worker.ref(); // keep the process alive until every thread has answered
    }
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await Promise.all([...this.threads].map((t) => t.close()));
  }
}

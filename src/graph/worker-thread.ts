/**
 * Runs the graph worker (worker.ts) on a thread of its own, with its own connection to the store and its own Neo4j
 * driver, so draining the outbox never competes with requests: its store reads, the projection's JavaScript, the
 * driver's encoding and the outbox deletes all happen off the thread that serves gRPC. (In-process, the SQLite
 * backend serialises every transaction on one connection, and each drain's read transaction made requests queue.)
 *
 * One module, two sides: `startWorkerThread` (the server's side) spawns this same file as the thread and returns a
 * proxy with the worker's interface; when loaded as that thread, the bottom of the file opens the connection and
 * runs the loop. Messages: kick / report-lag / stop one way; status / lag / log / stopped the other.
 *
 * The worker's SQLite connection commits with synchronous=NORMAL: the only rows it writes are outbox deletes, and a
 * delete lost to a power cut only means a batch is projected again, which MERGE makes harmless.
 */
import * as os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { type BackendConfig, connectDatabase, unknownBackend } from '../storage/open';
import { sqlitePathFromUri } from '../storage/sqlite/driver';
import { threadScript } from '../thread-script';
import type { GraphConfig } from './config';
import { openDriver } from './neo4j';
import type { OutboxLag } from './outbox';
import { GraphWorker, type Log, type ProjectionWorker, type WorkerStatus } from './worker';

/** How much lower than the server's the worker thread's CPU priority is (nice levels; 19 is the lowest). */
const WORKER_NICE = 10;

interface ThreadData {
  graphWorkerThread: true;
  connection: BackendConfig;
  config: GraphConfig;
}

type ToThread = { type: 'kick' } | { type: 'report-lag' } | { type: 'stop' };
type FromThread =
  | { type: 'status'; status: WorkerStatus }
  | { type: 'lag'; lag: OutboxLag }
  | { type: 'log'; line: string }
  | { type: 'stopped' };

/**
 * The worker's connection: a shared database needs only a couple of pooled connections; SQLite a cheaper commit, and
 * no reader threads of its own (the worker is already off the server's thread).
 */
function workerConnection(connection: BackendConfig): BackendConfig {
  switch (connection.kind) {
    case 'sqlite':
      return { ...connection, mustExist: true, synchronous: 'NORMAL', readerThreads: 0 };
    case 'postgresql':
    case 'mysql':
      return { ...connection, poolSize: 2 };
    default:
      return unknownBackend(connection);
  }
}

/** Whether the store can be opened a second time (an in-memory SQLite store exists only on its own connection). */
export function canRunOnThread(connection: BackendConfig): boolean {
  switch (connection.kind) {
    case 'sqlite':
      return sqlitePathFromUri(connection.filenameUri).path !== ':memory:';
    case 'postgresql':
    case 'mysql':
      return true;
    default:
      return unknownBackend(connection);
  }
}

/** Starts the worker on its own thread; the returned proxy is the server's handle on it. */
export function startWorkerThread(connection: BackendConfig, config: GraphConfig, log: Log): ProjectionWorker {
  return new WorkerThreadHost({ graphWorkerThread: true, connection: workerConnection(connection), config }, log);
}

/**
 * The server's side. A thread that dies unexpectedly (its store connection could not be opened, a bug) is reported
 * as unhealthy and started again after the configured back-off, like a failed batch; the outbox keeps every change
 * meanwhile.
 */
class WorkerThreadHost implements ProjectionWorker {
  private thread?: Worker;
  private exited: Promise<void> = Promise.resolve();
  private status_: WorkerStatus = { lag: { rows: 0, oldestAgeMs: 0 }, failures: 0, drainedRows: 0, healthy: true };
  private readonly listeners = new Set<(s: WorkerStatus) => void>();
  private readonly lagWaiters: Array<(lag: OutboxLag) => void> = [];
  private stopping?: Promise<void>;
  private restartDelayMs: number;
  private restartTimer?: NodeJS.Timeout;
  /**
   * A kick was sent and the thread has not reported since: further commits need not wake it again (one message per
   * drain instead of one per commit). A commit that lands while it drains is picked up by the next kick or poll.
   */
  private kickSent = false;

  constructor(
    private readonly data: ThreadData,
    private readonly log: Log,
  ) {
    this.restartDelayMs = data.config.minBackoffMs;
    this.spawn();
  }

  private spawn(): void {
    const thread = new Worker(threadScript(__filename), { eval: true, workerData: this.data });
    this.thread = thread;
    this.kickSent = false;
    let failure: Error | undefined;
    this.exited = new Promise<void>((resolve) =>
      thread.once('exit', () => {
        this.thread = undefined;
        for (const w of this.lagWaiters.splice(0)) w(this.status_.lag);
        resolve();
        if (!this.stopping) this.restartLater(failure);
      }),
    );
    thread.on('error', (e) => (failure = e));
    thread.on('message', (m: FromThread) => {
      switch (m.type) {
        case 'status':
          this.kickSent = false;
          if (m.status.failures === 0) this.restartDelayMs = this.data.config.minBackoffMs;
          this.publish(m.status);
          break;
        case 'lag':
          this.lagWaiters.shift()?.(m.lag);
          break;
        case 'log':
          this.log(m.line);
          break;
        case 'stopped':
          // Everything is closed; whatever timer a library left behind must not keep the thread alive.
          void thread.terminate();
          break;
      }
    });
  }

  private restartLater(failure: Error | undefined): void {
    const reason = failure ? (failure.stack ?? failure.message) : 'it exited';
    this.log(`graph: worker thread stopped unexpectedly (${reason}); restarting in ${this.restartDelayMs} ms`);
    this.publish({
      ...this.status_,
      healthy: false,
      failures: this.status_.failures + 1,
      lastError: failure?.message ?? 'worker thread exited',
    });
    this.restartTimer = setTimeout(() => this.spawn(), this.restartDelayMs);
    this.restartTimer.unref();
    this.restartDelayMs = Math.min(this.data.config.maxBackoffMs, Math.max(1, this.restartDelayMs * 2));
  }

  private publish(status: WorkerStatus): void {
    this.status_ = status;
    for (const l of this.listeners) l(status);
  }

  private send(m: ToThread): boolean {
    this.thread?.postMessage(m);
    return this.thread !== undefined;
  }

  start(): void {
    // The thread starts its loop as soon as it is up.
  }

  kick(): void {
    if (!this.kickSent) this.kickSent = this.send({ type: 'kick' });
  }

  status(): WorkerStatus {
    return this.status_;
  }

  onStatus(listener: (s: WorkerStatus) => void): void {
    this.listeners.add(listener);
  }

  reportLag(): Promise<OutboxLag> {
    return new Promise<OutboxLag>((resolve) => {
      this.lagWaiters.push(resolve);
      if (!this.send({ type: 'report-lag' })) this.lagWaiters.pop()!(this.status_.lag);
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.restartTimer);
      this.send({ type: 'stop' });
      await this.exited;
    })();
    return this.stopping;
  }
}

/**
 * Background work yields the CPU to requests: on Linux a nice value is per thread, so this lowers only the worker's
 * thread (elsewhere it would lower the whole process, so it is left alone).
 */
function lowerThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(Math.min(19, os.getPriority() + WORKER_NICE));
  } catch {
    // Not permitted (e.g. a hardened container): the worker simply runs at the server's priority.
  }
}

/** The thread's side: its own connection and driver, the worker loop, and the message protocol. */
async function runThread(data: ThreadData): Promise<void> {
  const port = parentPort!;
  lowerThreadPriority();
  const post = (m: FromThread): void => port.postMessage(m);
  const db = connectDatabase(data.connection);
  const driver = openDriver(data.config);
  const worker = new GraphWorker(db, driver, data.config, (line) => post({ type: 'log', line }));
  worker.onStatus((status) => post({ type: 'status', status }));
  port.on('message', (m: ToThread) => {
    switch (m.type) {
      case 'kick':
        worker.kick();
        break;
      case 'report-lag':
        // Answered by a message, not a return value; reportLag never rejects (a failed read keeps the last figures).
        void worker.reportLag().then((lag) => post({ type: 'lag', lag }));
        break;
      case 'stop':
        // The thread's last act, answered by 'stopped'; were a close to fail, the rejection would end the thread
        // with it as its error, which the parent sees (an 'error' event, then 'exit').
        void (async () => {
          await worker.stop();
          await driver.close();
          await db.close();
          post({ type: 'stopped' });
          port.close();
        })();
        break;
    }
  });
  worker.start();
}

if (!isMainThread && (workerData as Partial<ThreadData> | undefined)?.graphWorkerThread) {
  // The thread's body: a failure to start ends the thread with it as its error, which the parent records (then
  // starts a new thread after its backoff).
  void runThread(workerData as ThreadData);
}

/**
 * The Neo4j projection, assembled: `startGraphProjection` ensures the outbox table, wraps the store so write
 * transactions append to it, and runs the worker that drains it. The server passes the wrapped store to the
 * domains (MLMD and CMF alike, since CMF writes through the MLMD domain) and publishes the worker's state as the
 * `cmf.graph` health service, which is NOT_SERVING while the projection lags more than the threshold (the MLMD
 * service itself stays SERVING: a lagging graph never stops metadata logging).
 *
 * Given the store's connection settings, the worker runs on its own thread with its own connection
 * (worker-thread.ts), so the projection's work never runs on the thread that serves requests. Only an in-memory
 * SQLite store, which no second connection can see, keeps the worker in-process on the store's own connection.
 */
import type { Database } from '../storage/database';
import type { BackendConfig } from '../storage/open';
import type { GraphConfig } from './config';
import { openDriver } from './neo4j';
import { ensureOutbox, OUTBOX_TABLE, withOutbox } from './outbox';
import { GraphWorker, type Log, type ProjectionWorker, type WorkerStatus } from './worker';
import { canRunOnThread, startWorkerThread } from './worker-thread';

export { graphConfigFrom, type GraphConfig, type GraphFlags } from './config';
export { resync } from './resync';
export { openDriver } from './neo4j';

export const GRAPH_HEALTH_SERVICE = 'cmf.graph';

export interface GraphProjection {
  /** The store to hand to the domains: its write transactions append to the outbox. */
  db: Database;
  worker: ProjectionWorker;
  /** Whether the worker runs on its own thread (false only for an in-memory store). */
  threaded: boolean;
  /** Stops the worker and closes its Neo4j driver (the outbox keeps what was not drained yet). */
  stop(): Promise<void>;
  status(): WorkerStatus;
}

export interface ProjectionOptions {
  /** How to open the store again, for the worker's own connection on its own thread. */
  connection?: BackendConfig;
  log?: Log;
}

export async function startGraphProjection(
  config: GraphConfig,
  db: Database,
  options: ProjectionOptions = {},
): Promise<GraphProjection> {
  const log = options.log ?? (() => undefined);
  await ensureOutbox(db);
  const threaded = options.connection !== undefined && canRunOnThread(options.connection);
  let worker: ProjectionWorker;
  let closeDriver = async (): Promise<void> => undefined;
  if (threaded) {
    worker = startWorkerThread(options.connection!, config, log);
  } else {
    const driver = openDriver(config);
    closeDriver = () => driver.close();
    worker = new GraphWorker(db, driver, config, log);
  }
  worker.start();
  log(
    `graph: projecting to ${config.uri} (outbox ${OUTBOX_TABLE}, health service ${GRAPH_HEALTH_SERVICE}, ` +
      `worker ${threaded ? 'on its own thread and connection' : 'in-process: in-memory store'})`,
  );
  return {
    db: withOutbox(db, () => worker.kick()),
    worker,
    threaded,
    status: () => worker.status(),
    async stop() {
      await worker.stop();
      await closeDriver();
    },
  };
}

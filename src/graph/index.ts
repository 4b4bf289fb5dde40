/**
 * The Neo4j projection, assembled: `startGraphProjection` ensures the outbox table, wraps the store so write
 * transactions append to it, and runs the worker that drains it. The server passes the wrapped store to the
 * domains (MLMD and CMF alike, since CMF writes through the MLMD domain) and publishes the worker's state as the
 * `cmf.graph` health service, which is NOT_SERVING while the projection lags more than the threshold (the MLMD
 * service itself stays SERVING: a lagging graph never stops metadata logging).
 */
import type { Driver } from 'neo4j-driver';
import type { Database } from '../storage/database';
import type { GraphConfig } from './config';
import { openDriver } from './neo4j';
import { ensureOutbox, withOutbox } from './outbox';
import { GraphWorker, type Log, type WorkerStatus } from './worker';

export { graphConfigFrom, type GraphConfig, type GraphFlags } from './config';
export { resync } from './resync';
export { openDriver } from './neo4j';

export const GRAPH_HEALTH_SERVICE = 'cmf.graph';

export interface GraphProjection {
  /** The store to hand to the domains: its write transactions append to the outbox. */
  db: Database;
  worker: GraphWorker;
  driver: Driver;
  /** Stops the worker and closes the driver (the outbox keeps what was not drained yet). */
  stop(): Promise<void>;
  status(): WorkerStatus;
}

export async function startGraphProjection(config: GraphConfig, db: Database, log: Log = () => undefined): Promise<GraphProjection> {
  await ensureOutbox(db);
  const driver = openDriver(config);
  let worker: GraphWorker | undefined;
  const wrapped = withOutbox(db, () => worker?.kick());
  worker = new GraphWorker(db, driver, config, log);
  worker.start();
  log(`graph: projecting to ${config.uri} (outbox ${'CmfGraphOutbox'}, health service ${GRAPH_HEALTH_SERVICE})`);
  return {
    db: wrapped,
    worker,
    driver,
    status: () => worker!.status(),
    async stop() {
      await worker!.stop();
      await driver.close();
    },
  };
}

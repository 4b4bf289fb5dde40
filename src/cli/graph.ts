/**
 * The CLI's side of the Neo4j projection (src/graph/): starting it next to the server when configured
 * (--neo4j_uri or NEO4J_URI), publishing its lag as the `cmf.graph` health service, and the one-shot
 * `--neo4j_resync` command that rebuilds the graph from the store and exits.
 */
import type { Database } from '../storage/database';
import type { BackendConfig } from '../storage/open';
import { graphConfigFrom, type GraphConfig } from '../graph/config';
import type { WorkerStatus } from '../graph/worker';
import type { HealthReporter } from '../server/server';
import type { Flags } from './flags';

export interface GraphHook {
  config: GraphConfig;
  /** The store the domains must use (write transactions append to the outbox). */
  db: Database;
  health: HealthReporter;
  /** The worker's latest status: outbox backlog, lag, consecutive failures (for metrics). */
  status(): WorkerStatus;
  stop(): Promise<void>;
}

/** Starts the projection when configured; undefined when it is off (the default). */
export async function startGraphIfConfigured(
  flags: Flags,
  db: Database,
  connection: BackendConfig,
  log: (line: string) => void,
): Promise<GraphHook | undefined> {
  const config = graphConfigFrom(flags);
  if (!config) return undefined;
  // Loaded only when the graph is on: neo4j-driver is the largest module of the server (half a second to load).
  const { GRAPH_HEALTH_SERVICE, startGraphProjection } = await import('../graph');
  const projection = await startGraphProjection(config, db, { connection, log });
  return {
    config,
    db: projection.db,
    health: {
      name: GRAPH_HEALTH_SERVICE,
      subscribe: (report) => projection.worker.onStatus((s) => report(s.healthy)),
    },
    status: () => projection.status(),
    stop: () => projection.stop(),
  };
}

/** --neo4j_resync: rebuilds the graph of `db`; returns the exit code. */
export async function runResync(flags: Flags, db: Database, log: (line: string) => void): Promise<number> {
  const config = graphConfigFrom(flags);
  if (!config) {
    log('--neo4j_resync needs --neo4j_uri or NEO4J_URI');
    return 2;
  }
  const { openDriver, resync } = await import('../graph');
  const driver = openDriver(config);
  try {
    const r = await resync(db, driver, { database: config.database, clear: flags.neo4j_resync_clear ?? false, log });
    log(
      `resync: ${r.contexts} contexts, ${r.executions} executions, ${r.artifacts} artifacts, ${r.events} events ` +
        `projected to ${config.uri} in ${r.ms} ms`,
    );
    return 0;
  } catch (e) {
    log(`resync failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await driver.close();
  }
}

/**
 * Configuration of the Neo4j projection, as CMF has it: on when a Neo4j URI is given (the --neo4j_uri flag, or the
 * NEO4J_URI environment variable cmf-server reads), credentials from --neo4j_user_name / --neo4j_passwd or
 * NEO4J_USER_NAME / NEO4J_PASSWD (a flag wins over the environment). Off by default.
 */
export interface GraphConfig {
  uri: string;
  user?: string;
  password?: string;
  /** Neo4j database name (default: the server's default database). */
  database?: string;
  /** Outbox rows drained per Neo4j transaction. */
  batchRows: number;
  /** First retry delay after a failed batch; doubled per failure up to maxBackoffMs. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Idle poll period (a commit also wakes the worker at once). */
  pollMs: number;
  /**
   * After waking, how long the worker lets commits accumulate before draining them as one batch: the graph trails
   * the store by about this much while logging goes on, and Neo4j does a transaction per window, not per commit.
   */
  coalesceMs: number;
  /** The cmf.graph health service turns NOT_SERVING when the oldest undrained change is older than this. */
  lagThresholdMs: number;
  /** How often the lag is logged while it is non-zero (0: never). */
  lagLogMs: number;
}

export const GRAPH_DEFAULTS = {
  batchRows: 500,
  minBackoffMs: 200,
  maxBackoffMs: 30_000,
  pollMs: 1_000,
  coalesceMs: 1_000,
  lagThresholdMs: 60_000,
  lagLogMs: 30_000,
} as const;

export interface GraphFlags {
  neo4j_uri?: string;
  neo4j_user_name?: string;
  neo4j_passwd?: string;
  neo4j_database?: string;
}

/** The projection's configuration, or undefined when it is off. */
export function graphConfigFrom(flags: GraphFlags, env: NodeJS.ProcessEnv = process.env): GraphConfig | undefined {
  const uri = (flags.neo4j_uri ?? env.NEO4J_URI ?? '').trim();
  if (uri === '') return undefined;
  const num = (name: string, fallback: number): number => {
    const n = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(n) && n >= 0 ? n : fallback;
  };
  return {
    uri,
    user: flags.neo4j_user_name ?? env.NEO4J_USER_NAME ?? undefined,
    password: flags.neo4j_passwd ?? env.NEO4J_PASSWD ?? undefined,
    database: flags.neo4j_database ?? (env.NEO4J_DATABASE || undefined),
    batchRows: num('CMF_GRAPH_BATCH_ROWS', GRAPH_DEFAULTS.batchRows) || GRAPH_DEFAULTS.batchRows,
    minBackoffMs: num('CMF_GRAPH_MIN_BACKOFF_MS', GRAPH_DEFAULTS.minBackoffMs),
    maxBackoffMs: num('CMF_GRAPH_MAX_BACKOFF_MS', GRAPH_DEFAULTS.maxBackoffMs),
    pollMs: num('CMF_GRAPH_POLL_MS', GRAPH_DEFAULTS.pollMs),
    coalesceMs: num('CMF_GRAPH_COALESCE_MS', GRAPH_DEFAULTS.coalesceMs),
    lagThresholdMs: num('CMF_GRAPH_LAG_THRESHOLD_MS', GRAPH_DEFAULTS.lagThresholdMs),
    lagLogMs: num('CMF_GRAPH_LAG_LOG_MS', GRAPH_DEFAULTS.lagLogMs),
  };
}

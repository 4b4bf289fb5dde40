/**
 * Harness of the multi-server PostgreSQL suites: server processes started through the real CLI
 * (`--metadata_source_config_type=postgresql --postgres_config_*`), clients that retry like the Python ml-metadata
 * client, and direct SQL access to check what the database holds.
 *
 * Needs a PostgreSQL server (MLMD_TEST_PG_* from scripts/pg-cluster.sh). Without one the suites fail under CI and
 * skip (exit 77, "cannot run") otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';

import type { PostgreSQLDatabaseConfig } from '../../generated/ml_metadata/proto/metadata_store';
import { MlmdClient, MlmdClientError } from '../../src/client';
import { clientConfig } from '../../src/storage/postgres/config';
import { freePort } from '../helpers/net';
export { freePort };

export const ROOT = path.resolve(__dirname, '../..');

/** Exits 77 ("cannot run") when no PostgreSQL is configured; under CI that counts as a failure in test-all. */
export function requirePostgres(): void {
  if (!process.env.MLMD_TEST_PG_HOST) {
    console.log(
      'cannot run: no PostgreSQL (set MLMD_TEST_PG_HOST/PORT/USER/PASSWORD, e.g. from scripts/pg-cluster.sh)',
    );
    process.exit(77);
  }
}

export function pgFlags(config: PostgreSQLDatabaseConfig): string[] {
  return [
    '--metadata_source_config_type=postgresql',
    `--postgres_config_host=${config.host}`,
    `--postgres_config_port=${config.port}`,
    `--postgres_config_user=${config.user}`,
    `--postgres_config_password=${config.password}`,
    `--postgres_config_dbname=${config.dbname}`,
  ];
}

export interface ServerProcess {
  child: ChildProcess;
  address: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `src/cli/main.ts` with `flags` on a free port and waits for its "listening on" line. */
export async function startServerProcess(flags: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'src/cli/main.ts'),
      `--grpc_port=${port}`,
      '--http_port=-1',
      '--host',
      '127.0.0.1',
      ...flags,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!/listening on/.test(log)) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    address: `127.0.0.1:${port}`,
    log: () => log,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Statuses on which a client tries again (ABORTED is what ml-metadata's Python client retries; UNAVAILABLE is gRPC's). */
export const RETRYABLE = new Set([10 /* ABORTED */, 14 /* UNAVAILABLE */]);

export interface RetryStats {
  /** Failed attempts, by status name. */
  failures: Map<string, number>;
}

/**
 * Calls `fn` until it succeeds, retrying retryable statuses with jittered back-off (at most `attempts` times, or
 * until `deadline`). Other errors are thrown at once.
 */
export async function withClientRetry<T>(
  fn: () => Promise<T>,
  stats: RetryStats,
  opts: { attempts?: number; deadline?: number } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof MlmdClientError) || !RETRYABLE.has(e.code)) throw e;
      stats.failures.set(e.codeName, (stats.failures.get(e.codeName) ?? 0) + 1);
      const outOfTime = opts.deadline !== undefined && Date.now() > opts.deadline;
      if (attempt >= (opts.attempts ?? 20) || outOfTime) throw e;
      await new Promise((r) => setTimeout(r, Math.min(2000, 20 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random())));
    }
  }
}

/** One SQL query on the test database (outside any server). */
export async function sql<R = Record<string, unknown>>(
  config: PostgreSQLDatabaseConfig,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const c = new Client(clientConfig(config));
  await c.connect();
  try {
    return (await c.query(text, params)).rows as R[];
  } finally {
    await c.end();
  }
}

export { MlmdClient, MlmdClientError };

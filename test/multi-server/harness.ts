/**
 * Harness of the multi-server suites, on the shared backend MLMD_TEST_BACKEND names (postgres, the default here,
 * or mysql): server processes started through the real CLI with upstream's flags, clients that retry like the Python
 * ml-metadata client, direct SQL access to check what the database holds, and the throw-away cluster scripts.
 *
 * Needs the backend's server (MLMD_TEST_PG_* from scripts/pg-cluster.sh, MLMD_TEST_MYSQL_* from
 * scripts/mariadb-cluster.sh). Without one the suites fail under CI and skip (exit 77, "cannot run") otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';

import type { MySQLDatabaseConfig, PostgreSQLDatabaseConfig } from '../../generated/ml_metadata/proto/metadata_store';
import { MlmdClient, MlmdClientError } from '../../src/client';
import { connectionOptions } from '../../src/storage/mysql/config';
import { clientConfig } from '../../src/storage/postgres/config';
import { dropMysqlDatabase, dropPgDatabase, mysqlTestConfig, pgTestConfig } from '../helpers/backend';
import { freePort } from '../helpers/net';
import { startupLine } from '../helpers/processes';
import { waitFor } from '../helpers/wait';
export { freePort };

export const ROOT = path.resolve(__dirname, '../..');

export type SharedBackend = 'postgres' | 'mysql';
export const SHARED_BACKEND: SharedBackend = process.env.MLMD_TEST_BACKEND === 'mysql' ? 'mysql' : 'postgres';

/** A database on the shared backend, as the suites use it. */
export interface SharedDatabase {
  readonly label: string;
  /** Upstream's command-line flags that serve this database. */
  flags(): string[];
  /** One SQL statement outside any server; CamelCase table names work on both backends. */
  sql<R = Record<string, unknown>>(text: string): Promise<R[]>;
  /** A connection of its own, for statements that must share a session (a lock held across them). */
  session(): Promise<SqlSession>;
  drop(): Promise<void>;
}

export interface SqlSession {
  sql<R = Record<string, unknown>>(text: string): Promise<R[]>;
  close(): Promise<void>;
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

/** Upstream's MySQL flags, as Kubeflow passes them (no --metadata_source_config_type). */
export function mysqlFlags(config: MySQLDatabaseConfig): string[] {
  return [
    `--mysql_config_host=${config.host}`,
    `--mysql_config_port=${config.port}`,
    `--mysql_config_user=${config.user}`,
    `--mysql_config_password=${config.password}`,
    `--mysql_config_database=${config.database}`,
  ];
}

/** A SharedDatabase from its connections: `sql` runs one statement on a session of its own. */
function withOneShotSql(parts: Omit<SharedDatabase, 'sql'>): SharedDatabase {
  return {
    ...parts,
    async sql<R>(text: string) {
      const s = await parts.session();
      try {
        return await s.sql<R>(text);
      } finally {
        await s.close();
      }
    },
  };
}

function postgresDatabase(config: PostgreSQLDatabaseConfig): SharedDatabase {
  return withOneShotSql({
    label: 'PostgreSQL',
    flags: () => pgFlags(config),
    async session() {
      const c = new Client(clientConfig(config));
      await c.connect();
      return {
        sql: async <R>(text: string) => (await c.query(text)).rows as R[],
        close: () => c.end(),
      };
    },
    drop: () => dropPgDatabase(config.dbname!),
  });
}

function mysqlDatabase(config: MySQLDatabaseConfig): SharedDatabase {
  return withOneShotSql({
    label: 'MySQL',
    flags: () => mysqlFlags(config),
    async session() {
      const c = await createConnection(connectionOptions(config));
      return {
        sql: async <R>(text: string) => (await c.query(text))[0] as R[],
        close: () => c.end(),
      };
    },
    drop: () => dropMysqlDatabase(config.database!),
  });
}

/** Database `name` on the test server named by the environment. */
export function sharedDatabase(name: string): SharedDatabase {
  return SHARED_BACKEND === 'mysql' ? mysqlDatabase(mysqlTestConfig(name)) : postgresDatabase(pgTestConfig(name));
}

/** Exits 77 ("cannot run") when the shared backend's server is not configured; under CI test-all counts a failure. */
export function requireSharedBackend(): void {
  const variable = SHARED_BACKEND === 'mysql' ? 'MLMD_TEST_MYSQL_HOST' : 'MLMD_TEST_PG_HOST';
  if (!process.env[variable]) {
    console.log(`cannot run: no ${SHARED_BACKEND} server (set ${variable} and its siblings from scripts/*-cluster.sh)`);
    process.exit(77);
  }
}

/** A throw-away cluster of the shared backend of our own (scripts/pg-cluster.sh or scripts/mariadb-cluster.sh). */
export class ThrowAwayCluster {
  private readonly script = path.join(
    ROOT,
    'scripts',
    SHARED_BACKEND === 'mysql' ? 'mariadb-cluster.sh' : 'pg-cluster.sh',
  );
  constructor(private readonly dir: string) {}

  private run(...args: string[]): Record<string, string> {
    const out = execFileSync('bash', [this.script, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.startsWith('export '))
        .map((l) => l.slice('export '.length).split('=', 2) as [string, string]),
    );
  }

  /** Starts it; returns database `name` on it. */
  start(name: string): SharedDatabase {
    const env = this.run('start', this.dir);
    if (SHARED_BACKEND === 'mysql') {
      return mysqlDatabase({
        host: env.MLMD_TEST_MYSQL_HOST,
        port: BigInt(env.MLMD_TEST_MYSQL_PORT),
        user: env.MLMD_TEST_MYSQL_USER,
        password: env.MLMD_TEST_MYSQL_PASSWORD,
        database: name,
      });
    }
    return postgresDatabase({
      host: env.MLMD_TEST_PG_HOST,
      port: env.MLMD_TEST_PG_PORT,
      user: env.MLMD_TEST_PG_USER,
      password: env.MLMD_TEST_PG_PASSWORD,
      dbname: name,
    });
  }

  /** `immediate`: a crash (PostgreSQL's immediate shutdown, SIGKILL for MariaDB), no clean end of the sessions. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('stop', this.dir, mode);
  }

  restart(): void {
    this.run('start', this.dir);
  }
}

export interface ServerProcess {
  child: ChildProcess;
  address: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `src/cli/main.ts` with `flags` on a free port and waits for its start-up line (a JSON log line). */
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
  await waitFor(
    'the server to start',
    () => {
      if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${log}`);
      return startupLine(log) !== undefined;
    },
    60_000,
    50,
  ).catch((e: Error) => {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw new Error(`${e.message}: ${log}`);
  });
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

export { MlmdClient, MlmdClientError };

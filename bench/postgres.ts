/**
 * `npm run bench -- --backend=postgres [--quick]`: the CRUD workload (PutArtifacts / GetArtifactsByID, batches of 1
 * and 100, as in crud.ts) under concurrency, on
 *
 *   (a) SQLite, 1 server process                      (the baseline, same client count)
 *   (b) PostgreSQL, 1 server process
 *   (c) PostgreSQL, 3 server processes on one database (clients spread round-robin over the servers)
 *
 * Every configuration runs CLIENTS concurrent TS clients (8 per server of the 3-server configuration; each its own
 * gRPC channel, each keeping one request outstanding). The four phases run one after another; a phase's time runs
 * from its start until the last client finishes its share. Each configuration gets a fresh store (SQLite file or a
 * new PostgreSQL database, created by the servers themselves and dropped afterwards).
 *
 * PostgreSQL: MLMD_TEST_PG_HOST/PORT/USER/PASSWORD (as the test suites use) when set; otherwise a throw-away cluster
 * is started with scripts/pg-cluster.sh under .bench/ and stopped (and removed) at the end.
 *
 * Calls answered ABORTED/UNAVAILABLE are retried (as ml-metadata's Python client does) and counted.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';

import { Artifact, PostgreSQLDatabaseConfig } from '../generated/ml_metadata/proto/metadata_store';
import { MlmdClient, MlmdClientError } from '../src/client';
import { clientConfig } from '../src/storage/postgres/config';
import { pgFlags } from '../test/multi-server/harness';
import {
  BENCH_DIR,
  BenchOptions,
  log,
  nowMs,
  sleep,
  startCli,
  startServerProcess,
  table,
  crudArtifact,
  CRUD_ARTIFACT_TYPE,
} from './lib';

const SERVERS = 3;
const CLIENTS_PER_SERVER = 8;
const CLIENTS = SERVERS * CLIENTS_PER_SERVER;

/** Per client. */
interface Workload {
  singles: number;
  batches: number;
  batchSize: number;
  warmup: number;
}

/** Seconds per phase, plus retried calls. */
interface Result {
  put1: number;
  put100: number;
  get1: number;
  get100: number;
  retries: number;
}

interface Server {
  address: string;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL cluster and servers

interface Cluster {
  base: PostgreSQLDatabaseConfig;
  stop(): Promise<void>;
}

async function openCluster(): Promise<Cluster> {
  const e = process.env;
  if (e.MLMD_TEST_PG_HOST) {
    log(`postgres: using the configured server ${e.MLMD_TEST_PG_HOST}:${e.MLMD_TEST_PG_PORT ?? '5432'}`);
    return {
      base: {
        host: e.MLMD_TEST_PG_HOST,
        port: e.MLMD_TEST_PG_PORT ?? '5432',
        user: e.MLMD_TEST_PG_USER ?? 'postgres',
        password: e.MLMD_TEST_PG_PASSWORD ?? '',
      },
      stop: async () => undefined,
    };
  }
  const dir = path.join(BENCH_DIR, `pg-${process.pid}`);
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  log(`postgres: starting a throw-away cluster in ${dir} (scripts/pg-cluster.sh)`);
  const script = path.join(__dirname, '..', 'scripts', 'pg-cluster.sh');
  const stop = async () => {
    try {
      execFileSync('bash', [script, 'stop', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  let out: string;
  try {
    out = execFileSync('bash', [script, 'start', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const env: Record<string, string> = {};
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2];
  return {
    base: {
      host: env.MLMD_TEST_PG_HOST,
      port: env.MLMD_TEST_PG_PORT,
      user: env.MLMD_TEST_PG_USER,
      password: env.MLMD_TEST_PG_PASSWORD,
    },
    stop,
  };
}

async function dropDatabase(base: PostgreSQLDatabaseConfig, dbname: string): Promise<void> {
  const admin = new Client(clientConfig({ ...base, dbname: 'postgres' }));
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${dbname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** `src/cli/main.ts` with the --postgres_config_* flags, as users run it. */
function startPgServer(config: PostgreSQLDatabaseConfig): Promise<Server> {
  return startCli(['--host=127.0.0.1', ...pgFlags(config)]);
}

// ---------------------------------------------------------------------------------------------------------------
// the workload

const RETRYABLE = new Set([10 /* ABORTED */, 14 /* UNAVAILABLE */]);

class Retrier {
  retries = 0;
  async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof MlmdClientError) || !RETRYABLE.has(e.code) || attempt >= 20) throw e;
        this.retries++;
        await sleep(Math.min(1000, 10 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random()));
      }
    }
  }
}

/** Runs `body(client index)` on every client at once; seconds until the last one is done. */
async function phase(body: (c: number) => Promise<void>): Promise<number> {
  const t0 = nowMs();
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => body(c)));
  return (nowMs() - t0) / 1000;
}

async function runWorkload(addresses: readonly string[], w: Workload): Promise<Result> {
  // client c talks to server c mod n (round-robin)
  const clients = Array.from(
    { length: CLIENTS },
    (_, c) => new MlmdClient(addresses[c % addresses.length], { deadlineMs: 120_000 }),
  );
  const r = new Retrier();
  try {
    const { typeId } = await r.call(() => clients[0].putArtifactType({ artifactType: CRUD_ARTIFACT_TYPE }));
    const artifact = (tag: string, i: number): Artifact => crudArtifact(typeId, tag, i);
    // warm-up: every client (and so every server) connects, puts and gets
    await phase(async (c) => {
      for (let i = 0; i < w.warmup; i++) {
        const [id] = (await r.call(() => clients[c].putArtifacts({ artifacts: [artifact(`warm${c}`, i)] })))
          .artifactIds;
        await r.call(() => clients[c].getArtifactsById({ artifactIds: [id] }));
      }
    });
    r.retries = 0;

    const singleIds: bigint[][] = clients.map(() => []);
    const batchIds: bigint[][][] = clients.map(() => []);
    const put1 = await phase(async (c) => {
      for (let i = 0; i < w.singles; i++) {
        singleIds[c].push(
          (await r.call(() => clients[c].putArtifacts({ artifacts: [artifact(`s${c}`, i)] }))).artifactIds[0],
        );
      }
    });
    const put100 = await phase(async (c) => {
      for (let b = 0; b < w.batches; b++) {
        const artifacts = Array.from({ length: w.batchSize }, (_, i) => artifact(`b${c}.${b}`, i));
        batchIds[c].push((await r.call(() => clients[c].putArtifacts({ artifacts }))).artifactIds);
      }
    });
    // gets read what another client (usually on another server) wrote
    const get1 = await phase(async (c) => {
      const ids = singleIds[(c + 1) % CLIENTS];
      for (let i = 0; i < w.singles; i++) {
        const got = await r.call(() => clients[c].getArtifactsById({ artifactIds: [ids[(i * 7) % ids.length]] }));
        if (got.artifacts.length !== 1) throw new Error('get: wrong count');
      }
    });
    const get100 = await phase(async (c) => {
      const ids = batchIds[(c + 1) % CLIENTS];
      for (let b = 0; b < w.batches; b++) {
        const got = await r.call(() => clients[c].getArtifactsById({ artifactIds: ids[(b * 7) % ids.length] }));
        if (got.artifacts.length !== w.batchSize) throw new Error('get batch: wrong count');
      }
    });
    return { put1, put100, get1, get100, retries: r.retries };
  } finally {
    for (const c of clients) c.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// configurations

async function onSqlite(w: Workload): Promise<Result> {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const file = path.join(BENCH_DIR, `pgbench-sqlite-${process.pid}.sqlite`);
  const rm = () => {
    for (const x of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(x, { force: true });
  };
  rm();
  const server = await startServerProcess(file);
  try {
    return await runWorkload([server.address], w);
  } finally {
    await server.stop();
    rm();
  }
}

async function onPostgres(base: PostgreSQLDatabaseConfig, servers: number, w: Workload): Promise<Result> {
  const dbname = `mlmd_bench_${process.pid}_${servers}_${Math.random().toString(36).slice(2, 8)}`;
  const config = { ...base, dbname };
  const started: Server[] = [];
  try {
    // the first server creates the database and the schema; the others then open it
    started.push(await startPgServer(config));
    started.push(...(await Promise.all(Array.from({ length: servers - 1 }, () => startPgServer(config)))));
    return await runWorkload(
      started.map((s) => s.address),
      w,
    );
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await dropDatabase(base, dbname).catch((e) => log(`postgres: could not drop ${dbname}: ${String(e)}`));
  }
}

export async function runPostgres(opts: BenchOptions): Promise<string> {
  const w: Workload = opts.quick
    ? { singles: 20, batches: 2, batchSize: 100, warmup: 5 }
    : { singles: 200, batches: 20, batchSize: 100, warmup: 20 };
  log(
    `postgres: ${CLIENTS} concurrent clients, each ${w.singles} single puts/gets and ${w.batches} batch puts/gets of ` +
      `${w.batchSize} (warm-up ${w.warmup})`,
  );
  log('postgres (a): SQLite, 1 server process');
  const sqlite = await onSqlite(w);
  const cluster = await openCluster();
  let pg1: Result;
  let pg3: Result;
  try {
    log('postgres (b): PostgreSQL, 1 server process');
    pg1 = await onPostgres(cluster.base, 1, w);
    log(`postgres (c): PostgreSQL, ${SERVERS} server processes, one database`);
    pg3 = await onPostgres(cluster.base, SERVERS, w);
  } finally {
    await cluster.stop();
  }

  const phases: { key: keyof Omit<Result, 'retries'>; label: string; ops: number; per: number }[] = [
    { key: 'put1', label: 'PutArtifacts x1', ops: CLIENTS * w.singles, per: 1 },
    { key: 'put100', label: `PutArtifacts x${w.batchSize}`, ops: CLIENTS * w.batches, per: w.batchSize },
    { key: 'get1', label: 'GetArtifactsByID x1', ops: CLIENTS * w.singles, per: 1 },
    { key: 'get100', label: `GetArtifactsByID x${w.batchSize}`, ops: CLIENTS * w.batches, per: w.batchSize },
  ];
  const rows = phases.map((p) => {
    const ops = (r: Result) => p.ops / r[p.key];
    const x = (a: Result, b: Result) => `${(ops(a) / ops(b)).toFixed(2)}x`;
    return [
      p.label,
      `${p.ops}`,
      ops(sqlite),
      ops(sqlite) * p.per,
      ops(pg1),
      ops(pg1) * p.per,
      ops(pg3),
      ops(pg3) * p.per,
      x(pg1, sqlite),
      x(pg3, pg1),
    ];
  });
  return (
    table(
      `Backends under concurrency (${CLIENTS} clients, one request outstanding each; ops/s = RPCs per second, art/s = artifacts per second)`,
      [
        'operation',
        'calls',
        'SQLite x1 ops/s',
        'art/s',
        'PG x1 ops/s',
        'art/s',
        `PG x${SERVERS} ops/s`,
        'art/s',
        'PG1/SQLite',
        `PG${SERVERS}/PG1`,
      ],
      rows,
    ) +
    `  SQLite x1 / PG x1: one server process, all ${CLIENTS} clients on it. PG x${SERVERS}: ${SERVERS} server processes on one\n` +
    `  database, ${CLIENTS_PER_SERVER} clients each (round-robin). Retried calls (ABORTED/UNAVAILABLE): SQLite ${sqlite.retries}, ` +
    `PG x1 ${pg1.retries}, PG x${SERVERS} ${pg3.retries}.\n` +
    `  Clients, servers and PostgreSQL share this machine's CPUs, so scaling is bounded by the cores available.\n`
  );
}

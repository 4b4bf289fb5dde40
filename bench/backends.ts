/**
 * `npm run bench -- --backend=postgres|mysql [--quick]`: the CRUD workload (PutArtifacts / GetArtifactsByID, batches
 * of 1 and 100, as in crud.ts) under concurrency, side by side on
 *
 *   SQLite, 1 server process                                      (the baseline, same client count)
 *   PostgreSQL, 1 server process, and 3 server processes on one database
 *   MariaDB (with --backend=mysql), 1 server process, and 3 server processes on one database
 *
 * Every configuration runs CLIENTS concurrent TS clients (8 per server of the 3-server configurations; each its own
 * gRPC channel, each keeping one request outstanding; clients spread round-robin over the servers). The four phases
 * run one after another; a phase's time runs from its start until the last client finishes its share. Each
 * configuration gets a fresh store (SQLite file, or a new database created by the servers and dropped afterwards).
 *
 * Servers: the ones in MLMD_TEST_PG_* / MLMD_TEST_MYSQL_* (as the test suites use) when set; otherwise throw-away
 * instances are started with scripts/pg-cluster.sh / scripts/mariadb-cluster.sh under .bench/ and removed at the end.
 *
 * Calls answered ABORTED/UNAVAILABLE are retried (as ml-metadata's Python client does) and counted.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Artifact, PostgreSQLDatabaseConfig } from '../generated/ml_metadata/proto/metadata_store';
import { MlmdClient, MlmdClientError } from '../src/client';
import { dropMysqlDatabase, dropPgDatabase, pgTestConfig } from '../test/helpers/backend';
import { mysqlFlags, pgFlags } from '../test/multi-server/harness';
import {
  BENCH_DIR,
  type BenchOptions,
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
// shared database servers

type SharedKind = 'postgres' | 'mysql';

/** A database server the benchmark can create databases on (and the environment the test helpers read). */
interface SharedServer {
  kind: SharedKind;
  label: string;
  /** The CLI flags that serve database `name` on it (upstream's, as users pass them). */
  flags(name: string): string[];
  drop(name: string): Promise<void>;
  stop(): Promise<void>;
}

const SHARED: Record<SharedKind, { label: string; script: string; hostVar: string; prefix: string }> = {
  postgres: { label: 'PG', script: 'pg-cluster.sh', hostVar: 'MLMD_TEST_PG_HOST', prefix: 'MLMD_TEST_PG_' },
  mysql: {
    label: 'MariaDB',
    script: 'mariadb-cluster.sh',
    hostVar: 'MLMD_TEST_MYSQL_HOST',
    prefix: 'MLMD_TEST_MYSQL_',
  },
};

/** The configured server of `kind`, or a throw-away one (its variables are put into process.env for the helpers). */
async function openShared(kind: SharedKind): Promise<SharedServer> {
  const s = SHARED[kind];
  let stop = async (): Promise<void> => undefined;
  if (process.env[s.hostVar]) {
    log(`${kind}: using the configured server ${process.env[s.hostVar]}`);
  } else {
    const dir = path.join(BENCH_DIR, `${kind}-${process.pid}`);
    fs.mkdirSync(BENCH_DIR, { recursive: true });
    log(`${kind}: starting a throw-away server in ${dir} (scripts/${s.script})`);
    const script = path.join(__dirname, '..', 'scripts', s.script);
    stop = async () => {
      try {
        execFileSync('bash', [script, 'stop', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        for (const k of Object.keys(process.env)) if (k.startsWith(s.prefix)) delete process.env[k];
      }
    };
    try {
      const out = execFileSync('bash', [script, 'start', dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]] = m[2];
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
  }
  const e = process.env;
  if (kind === 'mysql') {
    return {
      kind,
      label: s.label,
      flags: (database) =>
        mysqlFlags({
          host: e.MLMD_TEST_MYSQL_HOST,
          port: BigInt(e.MLMD_TEST_MYSQL_PORT ?? '3306'),
          user: e.MLMD_TEST_MYSQL_USER ?? 'root',
          password: e.MLMD_TEST_MYSQL_PASSWORD ?? '',
          database,
        }),
      drop: dropMysqlDatabase,
      stop,
    };
  }
  return {
    kind,
    label: s.label,
    flags: (dbname) =>
      pgFlags({
        host: e.MLMD_TEST_PG_HOST,
        port: e.MLMD_TEST_PG_PORT ?? '5432',
        user: e.MLMD_TEST_PG_USER ?? 'postgres',
        password: e.MLMD_TEST_PG_PASSWORD ?? '',
        dbname,
      }),
    drop: dropPgDatabase,
    stop,
  };
}

/** A PostgreSQL cluster for other benchmarks (bench/cmf-push.ts): its connection settings without a database. */
export interface Cluster {
  base: PostgreSQLDatabaseConfig;
  stop(): Promise<void>;
}

export async function openCluster(): Promise<Cluster> {
  const server = await openShared('postgres');
  const base = pgTestConfig('postgres');
  delete base.dbname;
  return { base, stop: () => server.stop() };
}

export async function dropDatabase(_base: PostgreSQLDatabaseConfig, dbname: string): Promise<void> {
  await dropPgDatabase(dbname);
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

async function onShared(server: SharedServer, servers: number, w: Workload): Promise<Result> {
  const name = `mlmd_bench_${process.pid}_${servers}_${Math.random().toString(36).slice(2, 8)}`;
  const started: Server[] = [];
  try {
    // the first server creates the database and the schema; the others then open it
    started.push(await startCli(['--host=127.0.0.1', ...server.flags(name)]));
    started.push(
      ...(await Promise.all(
        Array.from({ length: servers - 1 }, () => startCli(['--host=127.0.0.1', ...server.flags(name)])),
      )),
    );
    return await runWorkload(
      started.map((s) => s.address),
      w,
    );
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await server.drop(name).catch((e) => log(`${server.kind}: could not drop ${name}: ${String(e)}`));
  }
}

/** One column pair per configuration: its label and its result. */
interface Column {
  label: string;
  result: Result;
}

export async function runBackends(opts: BenchOptions, kinds: readonly SharedKind[]): Promise<string> {
  const w: Workload = opts.quick
    ? { singles: 20, batches: 2, batchSize: 100, warmup: 5 }
    : { singles: 200, batches: 20, batchSize: 100, warmup: 20 };
  log(
    `backends: ${CLIENTS} concurrent clients, each ${w.singles} single puts/gets and ${w.batches} batch puts/gets of ` +
      `${w.batchSize} (warm-up ${w.warmup})`,
  );
  log('backends: SQLite, 1 server process');
  const columns: Column[] = [{ label: 'SQLite x1', result: await onSqlite(w) }];
  for (const kind of kinds) {
    const server = await openShared(kind);
    try {
      log(`backends: ${server.label}, 1 server process`);
      columns.push({ label: `${server.label} x1`, result: await onShared(server, 1, w) });
      log(`backends: ${server.label}, ${SERVERS} server processes, one database`);
      columns.push({ label: `${server.label} x${SERVERS}`, result: await onShared(server, SERVERS, w) });
    } finally {
      await server.stop();
    }
  }

  const phases: { key: keyof Omit<Result, 'retries'>; label: string; ops: number; per: number }[] = [
    { key: 'put1', label: 'PutArtifacts x1', ops: CLIENTS * w.singles, per: 1 },
    { key: 'put100', label: `PutArtifacts x${w.batchSize}`, ops: CLIENTS * w.batches, per: w.batchSize },
    { key: 'get1', label: 'GetArtifactsByID x1', ops: CLIENTS * w.singles, per: 1 },
    { key: 'get100', label: `GetArtifactsByID x${w.batchSize}`, ops: CLIENTS * w.batches, per: w.batchSize },
  ];
  const rows = phases.map((p) => [
    p.label,
    `${p.ops}`,
    ...columns.flatMap((c) => {
      const ops = p.ops / c.result[p.key];
      return [ops, ops * p.per];
    }),
  ]);
  return (
    table(
      `Backends under concurrency (${CLIENTS} clients, one request outstanding each; ops/s = RPCs per second, art/s = artifacts per second)`,
      ['operation', 'calls', ...columns.flatMap((c) => [`${c.label} ops/s`, 'art/s'])],
      rows,
    ) +
    `  x1: one server process, all ${CLIENTS} clients on it. x${SERVERS}: ${SERVERS} server processes on one database, ` +
    `${CLIENTS_PER_SERVER} clients each (round-robin).\n` +
    `  Retried calls (ABORTED/UNAVAILABLE): ${columns.map((c) => `${c.label} ${c.result.retries}`).join(', ')}.\n` +
    `  Clients, servers and the databases share this machine's CPUs, so scaling is bounded by the cores available.\n`
  );
}

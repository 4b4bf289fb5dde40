/**
 * Issue 13 benchmark: `cmf metadata push` of a big pipeline, ours against cmflib 0.1.0's own cmf-server, in one run.
 *
 * The document is what the CLI sends (CmfQuery.dumptojson's JSON inside the /api/mlmd_push body): 10,000 executions
 * over 3 stages, each reading the previous execution's dataset and the shared environment file and writing a
 * dataset, a model and a metrics artifact (30,002 artifacts, 50,000 events; test/helpers/cmf-interchange.ts).
 * It is POSTed once to each server (the first push: everything is new) and once more (the second push: everything
 * is present, "exists"), timing the HTTP round trip:
 *   ours, SQLite       the CLI on a fresh SQLite file
 *   ours, PostgreSQL   the CLI on a fresh database of the cluster below
 *   cmf-server         server/app/main.py from the cmflib wheel (uvicorn, test/compat/upstream-cmf-server.sh) on a
 *                      fresh database of the same cluster
 * cmf-server merges record by record (tens of store round trips per execution, and every link to the shared
 * environment file reads all of that artifact's events), so its time grows faster than linearly. Its push is cut
 * off after BENCH_CMF_PUSH_UPSTREAM_LIMIT_S seconds (default 1800): the table then gives the limit as a lower bound
 * and how many executions it had stored by then (counted in its database).
 *
 * PostgreSQL: the cluster in MLMD_TEST_PG_* or a throw-away one (scripts/pg-cluster.sh), as bench/backends.ts.
 * BENCH_CMF_PUSH_EXECUTIONS overrides the size; --quick: 300 executions. cmf-server needs root (see its script).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Client } from 'pg';

import type { PostgreSQLDatabaseConfig } from '../generated/ml_metadata/proto/metadata_store';
import { clientConfig } from '../src/storage/postgres/config';
import { pgFlags } from '../test/multi-server/harness';
import { pipelineDocument } from '../test/helpers/cmf-interchange';
import { BENCH_DIR, type BenchOptions, freePort, log, nowMs, ROOT, sleep, startCli, table } from './lib';
import { dropDatabase, openCluster } from './backends';

interface PushResult {
  seconds: number;
  status: string;
}

/** POSTs a body without a client-side timeout (Node's fetch gives up on headers after 300 s). */
function post(url: string, body: string, limitMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(limitMs, () => req.destroy(new Error(`no answer within ${limitMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function push(url: string, body: string, limitMs: number): Promise<PushResult> {
  const t0 = nowMs();
  const r = await post(`${url}/api/mlmd_push`, body, limitMs);
  const seconds = (nowMs() - t0) / 1000;
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}: ${r.text.slice(0, 500)}`);
  return { seconds, status: (JSON.parse(r.text) as { status: string }).status };
}

/** Our server with its HTTP listener (`store` gives the backend flags, given a fresh folder); answers its URL. */
async function startOurs(store: (dir: string) => string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(BENCH_DIR, 'cmf-push-'));
  const server = await startCli(['--http_port=0', '--host=127.0.0.1', `--cmf_data_dir=${dir}/data`, ...store(dir)]);
  let port: string | undefined;
  const deadline = Date.now() + 60_000;
  while (!(port = /HTTP on [^ ]+:(\d+)/.exec(server.output())?.[1])) {
    if (Date.now() > deadline) throw new Error(`no HTTP port in the start-up line: ${server.output()}`);
    await sleep(50);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startTheirs(env: NodeJS.ProcessEnv, dbname: string): Promise<{ url: string; stop(): Promise<void> }> {
  const work = fs.mkdtempSync(path.join(BENCH_DIR, 'cmf-server-'));
  const port = await freePort();
  const out = fs.openSync(path.join(work, 'server.log'), 'w');
  const child: ChildProcess = spawn(
    'bash',
    [path.join(ROOT, 'test/compat/upstream-cmf-server.sh'), work, '127.0.0.1', String(port), dbname],
    { env, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  let code: number | null = null;
  child.once('exit', (c) => (code = c ?? -1));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (code !== null) {
      throw new Error(
        `cmf-server exited (${code}): ${fs.readFileSync(path.join(work, 'server.log'), 'utf8').slice(-1500)}`,
      );
    }
    if (
      await fetch(`${url}/api/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('cmf-server did not answer within 180 s');
    await sleep(200);
  }
  return {
    url,
    stop: async () => {
      if (code === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        // uvicorn finishes a running request before it exits; a push cut off by the limit may run for hours.
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await done;
        clearTimeout(t);
      }
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Executions stored in an MLMD PostgreSQL database (how far cmf-server got). */
async function executionCount(base: PostgreSQLDatabaseConfig, dbname: string): Promise<number> {
  const c = new Client(clientConfig({ ...base, dbname }));
  await c.connect();
  try {
    return Number((await c.query('SELECT count(*) AS n FROM execution')).rows[0].n);
  } finally {
    await c.end();
  }
}

export async function runCmfPush(opts: BenchOptions): Promise<string> {
  const executions = Number(process.env.BENCH_CMF_PUSH_EXECUTIONS ?? (opts.quick ? 300 : 10_000));
  const limitS = Number(process.env.BENCH_CMF_PUSH_UPSTREAM_LIMIT_S ?? 1800);
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const { json } = pipelineDocument({ pipeline: 'bench-push', executions });
  const body = JSON.stringify({ pipeline_name: 'bench-push', exec_uuid: null, json_payload: json });
  const doc = JSON.parse(json) as { Pipeline: Array<{ stages: Array<{ executions: Array<{ events: unknown[] }> }> }> };
  const events = doc.Pipeline[0].stages.flatMap((s) => s.executions).reduce((n, x) => n + x.events.length, 0);
  log(`cmf-push: ${executions} executions, ${events} events, ${(body.length / 1e6).toFixed(1)} MB request body`);

  const rows: Array<Array<string | number>> = [];
  const cluster = await openCluster();
  try {
    const measure = async (name: string, start: () => Promise<{ url: string; stop(): Promise<void> }>) => {
      log(`cmf-push: ${name}`);
      const server = await start();
      try {
        const first = await push(server.url, body, 600_000);
        const second = await push(server.url, body, 600_000);
        log(
          `cmf-push: ${name}: ${first.seconds.toFixed(2)} s (${first.status}), again ${second.seconds.toFixed(2)} s (${second.status})`,
        );
        return { first, second };
      } finally {
        await server.stop();
      }
    };
    const sqlite = await measure('ours, SQLite', () => startOurs((dir) => [`--db=${dir}/mlmd.db`]));
    const oursDb = `cmf_push_ours_${process.pid}`;
    const pg = await measure('ours, PostgreSQL', () => startOurs(() => pgFlags({ ...cluster.base, dbname: oursDb })));
    await dropDatabase(cluster.base, oursDb).catch(() => undefined);

    const theirsDb = `cmf_push_theirs_${process.pid}`;
    const env = {
      ...process.env,
      MLMD_TEST_PG_HOST: cluster.base.host,
      MLMD_TEST_PG_PORT: cluster.base.port,
      MLMD_TEST_PG_USER: cluster.base.user,
      MLMD_TEST_PG_PASSWORD: cluster.base.password,
    };
    log(`cmf-server (cmflib 0.1.0), cut off after ${limitS} s`);
    const theirs = await startTheirs(env, theirsDb);
    let upstream: { first?: PushResult; second?: PushResult; stored: number };
    try {
      try {
        const first = await push(theirs.url, body, limitS * 1000);
        const second = await push(theirs.url, body, limitS * 1000);
        upstream = { first, second, stored: executions };
        log(`cmf-push: cmf-server: ${first.seconds.toFixed(2)} s, again ${second.seconds.toFixed(2)} s`);
      } catch (e) {
        upstream = { stored: await executionCount(cluster.base, theirsDb).catch(() => -1) };
        log(`cmf-push: cmf-server: ${(e as Error).message}; ${upstream.stored} of ${executions} executions stored`);
      }
    } finally {
      await theirs.stop();
      await dropDatabase(cluster.base, theirsDb).catch(() => undefined);
    }

    const theirsFirst = upstream.first?.seconds;
    const cell = (s: number | undefined) => (s === undefined ? `> ${limitS}` : s.toFixed(2));
    const ratio = (ours: number, ref: number | undefined) =>
      ref === undefined ? `> ${(limitS / ours).toFixed(0)}x` : `${(ref / ours).toFixed(1)}x`;
    rows.push([
      'ours, SQLite',
      sqlite.first.seconds.toFixed(2),
      sqlite.second.seconds.toFixed(2),
      ratio(sqlite.first.seconds, theirsFirst),
    ]);
    rows.push([
      'ours, PostgreSQL',
      pg.first.seconds.toFixed(2),
      pg.second.seconds.toFixed(2),
      ratio(pg.first.seconds, theirsFirst),
    ]);
    rows.push([
      upstream.first
        ? 'cmf-server 0.1.0'
        : `cmf-server 0.1.0 (${upstream.stored} of ${executions} executions stored at the cut-off)`,
      cell(theirsFirst),
      cell(upstream.second?.seconds),
      '1x',
    ]);
  } finally {
    await cluster.stop();
  }
  return table(
    `cmf metadata push of ${executions} executions (${executions * 3 + 2} artifacts, ${events} events): seconds per push`,
    ['server', 'first push s', 'same push again s', 'cmf-server s / ours s'],
    rows,
  );
}

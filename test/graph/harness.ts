/**
 * Graph-test harness: a real Neo4j 5.26 (test/graph/neo4j.sh builds the launcher; this spawns it on a free
 * 127.0.0.1 port with a data directory that survives stop/start), and a real gRPC server over a temp SQLite store,
 * with or without the Neo4j projection.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import neo4j, { type Driver } from 'neo4j-driver';

import { MlmdClient } from '../../src/client';
import { GRAPH_DEFAULTS, type GraphConfig } from '../../src/graph/config';
import { type GraphProjection, startGraphProjection } from '../../src/graph';
import { outboxLag } from '../../src/graph/outbox';
import { createMlmdApi } from '../../src/mlmd/store';
import { startServer, type ServerHandle } from '../../src/server/server';
import type { Database } from '../../src/storage/database';
import { openDatabase } from '../../src/storage/open';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '../..');

export interface Neo4jServer {
  uri: string;
  driver: Driver;
  /** Stops the JVM (clean shutdown); the data directory stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes the data directory. */
  dispose(): Promise<void>;
  /** CPU seconds the running JVM has used (Linux /proc; NaN elsewhere or when stopped). */
  cpuSeconds(): number;
}

export interface Neo4jOptions {
  /** Run the JVM at this nice level (a lower CPU priority than the metadata server sharing the machine). */
  nice?: number;
}

export async function startNeo4j(options: Neo4jOptions = {}): Promise<Neo4jServer> {
  const dir = execFileSync('bash', [path.join(ROOT, 'test/graph/neo4j.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'neo4j-test-'));
  const port = await freePort();
  const uri = `bolt://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const java = ['java', '-Xmx768m', '-cp', `${dir}/lib/*:${dir}/classes`, 'Neo4jTestServer', home, String(port)];
    const argv = options.nice ? ['nice', '-n', String(options.nice), ...java] : java;
    const proc = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child = proc;
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Neo4j did not start within 180 s: ${err}`)), 180_000);
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Neo4j exited with ${code}: ${err}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.stdin!.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  const driver = neo4j.driver(uri, undefined, { connectionTimeout: 5_000 });
  await driver.verifyConnectivity();
  return {
    uri,
    driver,
    stop,
    start,
    cpuSeconds() {
      try {
        // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 per second).
        const fields = fs.readFileSync(`/proc/${child?.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return NaN;
      }
    },
    async dispose() {
      await driver.close();
      await stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface GraphServer {
  client: MlmdClient;
  db: Database;
  projection?: GraphProjection;
  server: ServerHandle;
  dbPath: string;
  stop(): Promise<void>;
}

/** A server over a fresh SQLite store; with `neo4jUri` the projection runs (fast retries and drains for tests). */
export async function startGraphServer(neo4jUri?: string, overrides: Partial<GraphConfig> = {}): Promise<GraphServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-it-'));
  const dbPath = path.join(dir, 'mlmd.sqlite');
  const db = await openDatabase({ kind: 'sqlite', filenameUri: dbPath });
  const projection = neo4jUri
    ? await startGraphProjection(
        {
          ...GRAPH_DEFAULTS,
          uri: neo4jUri,
          minBackoffMs: 50,
          maxBackoffMs: 1_000,
          pollMs: 200,
          coalesceMs: 50,
          lagLogMs: 0,
          ...overrides,
        },
        db,
        // The worker opens the file again on its own thread, as the CLI's does. GRAPH_TEST_LOG=1 shows its log.
        {
          connection: { kind: 'sqlite', filenameUri: dbPath },
          log: process.env.GRAPH_TEST_LOG ? (l) => process.stderr.write(`${l}\n`) : undefined,
        },
      )
    : undefined;
  const server = await startServer({
    api: createMlmdApi(projection?.db ?? db),
    port: 0,
    host: '127.0.0.1',
    shutdownGraceMs: 2_000,
    onShutdown: async () => {
      await projection?.stop();
      await db.close();
    },
  });
  const client = new MlmdClient(`127.0.0.1:${server.port}`, { deadlineMs: 30_000 });
  return {
    client,
    db,
    projection,
    server,
    dbPath,
    async stop() {
      client.close();
      await server.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the outbox is empty (the worker drained everything to Neo4j). */
export async function waitForDrain(s: GraphServer, timeoutMs = 120_000): Promise<void> {
  let lag: Awaited<ReturnType<typeof outboxLag>> | undefined;
  await waitFor('the outbox to drain', async () => (lag = await outboxLag(s.db)).rows === 0, timeoutMs, 100).catch(
    (e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(lag)} ${JSON.stringify(s.projection?.status())}`);
    },
  );
}

export async function cypher(
  driver: Driver,
  query: string,
  params: Record<string, unknown> = {},
): Promise<Array<Record<string, unknown>>> {
  const res = await driver.executeQuery(query, params);
  return res.records.map((r) => r.toObject());
}

export async function clearNeo4j(driver: Driver): Promise<void> {
  await driver.executeQuery('MATCH (n) DETACH DELETE n');
}

/** Node counts per label and relationship counts per type. */
export async function graphCounts(
  driver: Driver,
): Promise<{ nodes: Record<string, number>; rels: Record<string, number> }> {
  const nodes: Record<string, number> = {};
  for (const r of await cypher(driver, 'MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) AS c'))
    nodes[r.l as string] = Number(r.c);
  const rels: Record<string, number> = {};
  for (const r of await cypher(driver, 'MATCH ()-[e]->() RETURN type(e) AS t, count(*) AS c'))
    rels[r.t as string] = Number(r.c);
  return { nodes, rels };
}

const VOLATILE = new Set(['create_time_since_epoch', 'last_update_time_since_epoch', 'milliseconds_since_epoch']);

function canonical(props: Record<string, unknown>): string {
  const keys = Object.keys(props)
    .filter((k) => !VOLATILE.has(k))
    .sort();
  return JSON.stringify(keys.map((k) => [k, String(props[k])]));
}

/** The whole graph as sorted lines, timestamps left out (to compare two projections of equal stores). */
export async function dumpGraph(driver: Driver): Promise<string[]> {
  const nodeKey = (labels: string[], props: Record<string, unknown>): string =>
    `${[...labels].sort().join(':')}${canonical(props)}`;
  const lines: string[] = [];
  for (const r of await cypher(driver, 'MATCH (n) RETURN labels(n) AS l, properties(n) AS p')) {
    lines.push(`N ${nodeKey(r.l as string[], r.p as Record<string, unknown>)}`);
  }
  for (const r of await cypher(
    driver,
    'MATCH (a)-[e]->(b) RETURN labels(a) AS la, properties(a) AS pa, type(e) AS t, properties(e) AS pe, labels(b) AS lb, properties(b) AS pb',
  )) {
    lines.push(
      `R ${nodeKey(r.la as string[], r.pa as Record<string, unknown>)} -[${r.t as string}${canonical(r.pe as Record<string, unknown>)}]-> ` +
        nodeKey(r.lb as string[], r.pb as Record<string, unknown>),
    );
  }
  return lines.sort();
}

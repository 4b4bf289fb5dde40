/**
 * Per-call overhead of the server as shipped (Issue 12): GetArtifactTypes calls/s at 1 and 32 concurrent callers
 * against
 *   echo      a bare grpc-js server answering the same response bytes (bench/echo-server.ts): the floor
 *   tsx       our server from TypeScript sources (node --import tsx src/cli/main.ts), as in development
 *   built     our built server (node dist/src/cli/main.js), as `npm start` and the package run it
 *   built+obs the built server with --metrics_port and --access_log (every call counted and logged)
 * plus start-up time (spawn to accepting connections). One client process (this one) on one channel; every
 * server in its own process on a SQLite file holding a few types. Phases alternate (ABBA) to spread drift.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import {
  GetArtifactTypesResponse,
  MetadataStoreServiceService,
} from '../generated/ml_metadata/proto/metadata_store_service';
import { MlmdClient } from '../src/client';
import { createLogger } from '../src/logger';
import { accessLog } from '../src/server/access-log';
import { Metrics } from '../src/server/metrics';
import { combineObservers, observeService, type CallObserver } from '../src/server/observe';
import { bindService, MLMD_SERVICE_NAME } from '../src/server/services';
import { BENCH_DIR, type BenchOptions, freePort, fmt, log, ratio, ROOT, sleep, table } from './lib';

const BUILT = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

interface Target {
  name: string;
  argv: (port: number) => string[];
}

interface Running {
  port: number;
  child: ChildProcess;
  startMs: number;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function start(target: Target): Promise<Running> {
  const port = await freePort();
  const logFile = path.join(BENCH_DIR, `overhead-${target.name}-${port}.log`);
  const out = fs.openSync(logFile, 'w');
  const t0 = performance.now();
  const [cmd, ...args] = target.argv(port);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const deadline = Date.now() + 120_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${target.name} did not start: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    await sleep(5);
  }
  const startMs = performance.now() - t0;
  return {
    port,
    child,
    startMs,
    stop: async () => {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
      fs.rmSync(logFile, { force: true });
    },
  };
}

/** Completed calls per second with `concurrency` callers each keeping one call outstanding for `ms`. */
async function callsPerSecond(port: number, concurrency: number, ms: number): Promise<number> {
  const Client = grpc.makeGenericClientConstructor(MetadataStoreServiceService, 'MetadataStoreService');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
    getArtifactTypes(r: object, cb: (e: grpc.ServiceError | null) => void): void;
    close(): void;
  };
  const call = () =>
    new Promise<void>((resolve, reject) => client.getArtifactTypes({}, (e) => (e ? reject(e) : resolve())));
  try {
    await call();
    let done = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          await call();
          done++;
        }
      }),
    );
    return (done * 1000) / (performance.now() - (end - ms));
  } finally {
    client.close();
  }
}

/**
 * What observing a call costs by itself, in this process: the same trivial method called through its registration
 * bare, observed by metrics, by the access log (lines written to /dev/null), and by both. Microseconds per call.
 */
async function observerCostUs(response: unknown, calls: number): Promise<Record<string, number>> {
  const api = { getArtifactTypes: async () => response };
  const bare = bindService(MLMD_SERVICE_NAME, MetadataStoreServiceService, api);
  // As the server writes its log: synchronously, one write per line (here into /dev/null).
  const log = createLogger({ destination: pino.destination({ dest: '/dev/null', sync: true }), redactFields: false });
  const variants: Record<string, CallObserver | undefined> = {
    bare: undefined,
    metrics: new Metrics(),
    'access log': accessLog(log),
    both: combineObservers([new Metrics(), accessLog(log)]),
  };
  const request = {};
  const out: Record<string, number> = {};
  for (const [name, observer] of Object.entries(variants)) {
    const registration = observer ? observeService(bare, observer) : bare;
    const method = registration.methods.find((m) => m.path.endsWith('/GetArtifactTypes'))!;
    const context = { protocol: 'grpc', peer: '127.0.0.1:1' };
    for (let i = 0; i < calls / 10; i++) await method.call(request, context); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await method.call(request, context);
    out[name] = ((performance.now() - t0) * 1000) / calls;
  }
  return out;
}

export async function runOverhead(opts: BenchOptions): Promise<string> {
  if (!fs.existsSync(BUILT)) throw new Error('dist/ missing: npm run build');
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const db = path.join(BENCH_DIR, `overhead-${process.pid}.db`);
  const serverFlags = (port: number) => [`--db=${db}`, `--grpc_port=${port}`, '--http_port=-1', '--host=127.0.0.1'];

  // A few user types, and the response bytes the echo server will answer with.
  const seed = await start({ name: 'seed', argv: (p) => [process.execPath, BUILT, ...serverFlags(p)] });
  const client = new MlmdClient(`127.0.0.1:${seed.port}`);
  for (const name of ['Dataset', 'Model', 'Metrics']) await client.putArtifactType({ artifactType: { name } });
  const response = await client.getArtifactTypes({});
  client.close();
  await seed.stop();
  const responseBase64 = Buffer.from(GetArtifactTypesResponse.encode(response).finish()).toString('base64');

  const targets: Target[] = [
    {
      name: 'echo',
      argv: (p) => [process.execPath, '--import', 'tsx', 'bench/echo-server.ts', String(p), responseBase64],
    },
    { name: 'tsx', argv: (p) => [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...serverFlags(p)] },
    { name: 'built', argv: (p) => [process.execPath, BUILT, ...serverFlags(p)] },
    {
      name: 'built+obs',
      argv: (p) => [process.execPath, BUILT, ...serverFlags(p), '--metrics_port=0', '--access_log'],
    },
  ];
  const warmMs = opts.quick ? 300 : 2_000;
  const runMs = opts.quick ? 500 : 5_000;
  const rounds = opts.quick ? 1 : 2;
  const results = new Map<string, { c1: number[]; c32: number[]; startMs: number[] }>();
  for (const t of targets) results.set(t.name, { c1: [], c32: [], startMs: [] });
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const server = await start(t);
      try {
        await callsPerSecond(server.port, 32, warmMs); // JIT warm-up
        const r = results.get(t.name)!;
        r.startMs.push(server.startMs);
        r.c1.push(await callsPerSecond(server.port, 1, runMs));
        r.c32.push(await callsPerSecond(server.port, 32, runMs));
        log(`${t.name}: ${fmt(r.c1.at(-1)!)} calls/s at 1, ${fmt(r.c32.at(-1)!)} at 32`);
      } finally {
        await server.stop();
      }
    }
  }
  fs.rmSync(db, { force: true });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const echo = results.get('echo')!;
  const tsx = results.get('tsx')!;
  const rows = targets.map((t) => {
    const r = results.get(t.name)!;
    return [
      t.name,
      mean(r.c1),
      mean(r.c32),
      ratio(mean(r.c1), mean(echo.c1)),
      ratio(mean(r.c32), mean(echo.c32)),
      ratio(mean(r.c1), mean(tsx.c1)),
      ratio(mean(r.c32), mean(tsx.c32)),
      mean(r.startMs),
    ];
  });
  const perCallUs = (c: number[]) => 1e6 / mean(c);
  const built = results.get('built')!;
  const cost = await observerCostUs(response, opts.quick ? 20_000 : 200_000);
  const costLine =
    `observing a call, in-process (us per call): ` +
    Object.entries(cost)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ') +
    '\n';
  return (
    table(
      `Per-call overhead: GetArtifactTypes (${response.artifactTypes.length} types) calls/s, ${runMs / 1000} s per figure, mean of ${rounds} round(s)`,
      ['server', 'c=1', 'c=32', 'c=1 / echo', 'c=32 / echo', 'c=1 / tsx', 'c=32 / tsx', 'start ms'],
      rows,
    ) +
    `built server: ${fmt(perCallUs(built.c1) - perCallUs(echo.c1))} us more per call than bare grpc-js at c=1 ` +
    `(${fmt(perCallUs(built.c1))} vs ${fmt(perCallUs(echo.c1))} us round trip)\n` +
    costLine
  );
}

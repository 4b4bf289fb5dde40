/**
 * Per-call overhead of the server as shipped (Issues 12, 21): GetArtifactTypes and a single GetArtifactsByID, calls/s
 * at 1 and 32 concurrent callers, against
 *   echo      a bare grpc-js server answering the same response bytes (bench/echo-server.ts): the floor
 *   tsx       our server from TypeScript sources (node --import tsx src/cli/main.ts), as in development
 *   built     our built server (node dist/src/cli/main.js), as `npm start` and the package run it
 *   built+obs the built server with --metrics_port and --access_log (every call counted and logged)
 *   baseline  with BENCH_BASELINE_SERVER=path/to/dist/src/cli/main.js: another build (e.g. main's) for before/after
 * plus start-up time (spawn to accepting connections), and each server process's CPU time per call at c=32 (best of
 * the rounds; reader threads included): unlike calls/s, barely moved by other processes' load, so `echo / CPU` (the
 * echo server's CPU per call over ours) is the figure to read on a shared machine. One client process (this one) on one channel; every
 * server in its own process on a SQLite file holding a few types and one artifact. Phases alternate (ABBA) to spread
 * drift. Then what each step of a call costs, in-process (call-steps.ts), and what observing a call costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import {
  GetArtifactsByIDResponse,
  GetArtifactTypesResponse,
  MetadataStoreServiceService,
} from '../generated/ml_metadata/proto/metadata_store_service';
import { MlmdClient } from '../src/client';
import { createLogger } from '../src/logger';
import { accessLog } from '../src/server/access-log';
import { Metrics } from '../src/server/metrics';
import { combineObservers, observeService, type CallObserver } from '../src/server/observe';
import { bindService, MLMD_SERVICE_NAME } from '../src/server/services';
import { callSteps } from './call-steps';
import {
  BENCH_DIR,
  type BenchOptions,
  CRUD_ARTIFACT_TYPE,
  crudArtifact,
  freePort,
  fmt,
  log,
  ratio,
  ROOT,
  serverEntry,
  sleep,
  table,
} from './lib';

interface Target {
  name: string;
  argv: (port: number) => string[];
  /** Whether the single GetArtifactsByID is measured too (GetArtifactTypes always is). */
  byId: boolean;
}

/** A measured call: its method (grpc-js client key) and request. */
interface Probe {
  label: string;
  method: 'getArtifactTypes' | 'getArtifactsById';
  request: object;
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

/** CPU time (user + system) the process has used so far, in ms; NaN where /proc is missing. */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Calls/s, and the server's CPU time per call (us): unlike calls/s, barely moved by other processes' load. */
interface Measured {
  callsPerSec: number;
  cpuUs: number;
}

/** Completed calls per second with `concurrency` callers each keeping one call outstanding for `ms`. */
async function measure(server: Running, probe: Probe, concurrency: number, ms: number): Promise<Measured> {
  const cpu0 = cpuMs(server.child.pid);
  const t0 = performance.now();
  const done = await callsIn(server.port, probe, concurrency, ms);
  const elapsed = performance.now() - t0;
  return { callsPerSec: (done * 1000) / elapsed, cpuUs: ((cpuMs(server.child.pid) - cpu0) * 1000) / done };
}

async function callsIn(port: number, probe: Probe, concurrency: number, ms: number): Promise<number> {
  const Client = grpc.makeGenericClientConstructor(MetadataStoreServiceService, 'MetadataStoreService');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<
    Probe['method'],
    (r: object, cb: (e: grpc.ServiceError | null) => void) => void
  > & { close(): void };
  const call = () =>
    new Promise<void>((resolve, reject) => client[probe.method](probe.request, (e) => (e ? reject(e) : resolve())));
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
    return done;
  } finally {
    client.close();
  }
}

/**
 * What observing a call costs by itself, in this process: the same trivial method called through its registration
 * bare, observed by metrics, by the access log (lines written to /dev/null), and by both. CPU microseconds per call.
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
    const start = process.cpuUsage(); // CPU time: the wall clock of a shared machine measures its other processes
    for (let i = 0; i < calls; i++) await method.call(request, context);
    const used = process.cpuUsage(start);
    out[name] = (used.user + used.system) / calls;
  }
  return out;
}

export async function runOverhead(opts: BenchOptions): Promise<string> {
  const BUILT = serverEntry(); // dist/, rebuilt first when older than the sources
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const db = path.join(BENCH_DIR, `overhead-${process.pid}.db`);
  const serverFlags = (port: number) => [`--db=${db}`, `--grpc_port=${port}`, '--http_port=-1', '--host=127.0.0.1'];

  // A few user types, an artifact, and the response bytes the echo server will answer with.
  const seed = await start({ name: 'seed', argv: (p) => [process.execPath, BUILT, ...serverFlags(p)], byId: true });
  const client = new MlmdClient(`127.0.0.1:${seed.port}`);
  for (const name of ['Dataset', 'Model', 'Metrics']) await client.putArtifactType({ artifactType: { name } });
  const { typeId } = await client.putArtifactType({ artifactType: CRUD_ARTIFACT_TYPE });
  const [artifactId] = (await client.putArtifacts({ artifacts: [crudArtifact(typeId, 'overhead', 0)] })).artifactIds;
  const response = await client.getArtifactTypes({});
  const byIdResponse = await client.getArtifactsById({ artifactIds: [artifactId] });
  client.close();
  await seed.stop();
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const echoArgs = [
    base64(GetArtifactTypesResponse.encode(response).finish()),
    base64(GetArtifactsByIDResponse.encode(byIdResponse).finish()),
  ];
  const probes: Probe[] = [
    { label: 'GetArtifactTypes', method: 'getArtifactTypes', request: {} },
    { label: 'GetArtifactsByID x1', method: 'getArtifactsById', request: { artifactIds: [artifactId] } },
  ];

  const targets: Target[] = [
    {
      name: 'echo',
      argv: (p) => [process.execPath, '--import', 'tsx', 'bench/echo-server.ts', String(p), ...echoArgs],
      byId: true,
    },
    {
      name: 'tsx',
      argv: (p) => [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...serverFlags(p)],
      byId: false,
    },
    { name: 'built', argv: (p) => [process.execPath, BUILT, ...serverFlags(p)], byId: true },
    {
      name: 'built+obs',
      argv: (p) => [process.execPath, BUILT, ...serverFlags(p), '--metrics_port=0', '--access_log'],
      byId: false,
    },
  ];
  const baseline = process.env.BENCH_BASELINE_SERVER;
  if (baseline)
    targets.push({ name: 'baseline', argv: (p) => [process.execPath, baseline, ...serverFlags(p)], byId: true });
  const warmMs = opts.quick ? 300 : 2_000;
  const runMs = opts.quick ? 500 : 5_000;
  const rounds = opts.quick ? 1 : 2;
  /** Calls/s per target and probe label, each concurrency's figures over the rounds. */
  type Figures = { c1: number[]; c32: number[]; cpu: number[] };
  const results = new Map<string, Map<string, Figures>>();
  const startMs = new Map<string, number[]>();
  for (const t of targets) {
    results.set(t.name, new Map(probes.map((p) => [p.label, { c1: [], c32: [], cpu: [] }])));
    startMs.set(t.name, []);
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const server = await start(t);
      try {
        startMs.get(t.name)!.push(server.startMs);
        for (const probe of probes.slice(0, t.byId ? probes.length : 1)) {
          await callsIn(server.port, probe, 32, warmMs); // JIT warm-up
          const r = results.get(t.name)!.get(probe.label)!;
          r.c1.push((await measure(server, probe, 1, runMs)).callsPerSec);
          const c32 = await measure(server, probe, 32, runMs);
          r.c32.push(c32.callsPerSec);
          r.cpu.push(c32.cpuUs);
          log(
            `${t.name} ${probe.label}: ${fmt(r.c1.at(-1)!)} calls/s at 1, ${fmt(r.c32.at(-1)!)} at 32, ` +
              `server CPU ${fmt(c32.cpuUs)} us per call`,
          );
        }
      } finally {
        await server.stop();
      }
    }
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const spread = (xs: number[]) => (xs.length > 1 ? ` (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})` : '');
  const rows: (string | number)[][] = [];
  for (const probe of probes) {
    const echo = results.get('echo')!.get(probe.label)!;
    const tsx = results.get('tsx')!.get(probe.label)!;
    for (const t of targets) {
      const r = results.get(t.name)!.get(probe.label)!;
      if (r.c1.length === 0) continue;
      rows.push([
        `${probe.label}: ${t.name}`,
        fmt(mean(r.c1)) + spread(r.c1),
        fmt(mean(r.c32)) + spread(r.c32),
        ratio(mean(r.c1), mean(echo.c1)),
        ratio(mean(r.c32), mean(echo.c32)),
        ratio(mean(r.c1), mean(tsx.c1)),
        ratio(mean(r.c32), mean(tsx.c32)),
        Math.min(...r.cpu),
        ratio(Math.min(...echo.cpu), Math.min(...r.cpu)),
        mean(startMs.get(t.name)!),
      ]);
    }
  }
  const perCallUs = (c: number[]) => 1e6 / mean(c);
  const builtTypes = results.get('built')!.get(probes[0].label)!;
  const echoTypes = results.get('echo')!.get(probes[0].label)!;
  const steps = await callSteps(
    db,
    [
      { method: 'getArtifactTypes', label: probes[0].label, request: probes[0].request, mode: 'lookup' },
      { method: 'getArtifactsById', label: probes[1].label, request: probes[1].request, mode: 'lookup' },
    ],
    opts.quick ? 2_000 : 20_000,
  );
  const cost = await observerCostUs(response, opts.quick ? 20_000 : 200_000);
  const costLine =
    `observing a call, in-process (CPU us per call): ` +
    Object.entries(cost)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ') +
    '\n';
  fs.rmSync(db, { force: true });
  return (
    table(
      `Per-call overhead: calls/s (GetArtifactTypes: ${response.artifactTypes.length} types), ${runMs / 1000} s per figure, mean (min-max) of ${rounds} round(s)`,
      [
        'call: server',
        'c=1',
        'c=32',
        'c=1 / echo',
        'c=32 / echo',
        'c=1 / tsx',
        'c=32 / tsx',
        'CPU us/call',
        'echo / CPU',
        'start ms',
      ],
      rows,
    ) +
    `built server: ${fmt(perCallUs(builtTypes.c1) - perCallUs(echoTypes.c1))} us more per GetArtifactTypes call than ` +
    `bare grpc-js at c=1 (${fmt(perCallUs(builtTypes.c1))} vs ${fmt(perCallUs(echoTypes.c1))} us round trip)\n` +
    steps +
    costLine
  );
}

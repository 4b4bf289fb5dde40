/**
 * Shared pieces of the benchmarks: our server as a child process (the CLI, as users run it), the Python helper
 * scripts (run with the compat venv), timing statistics and plain-text tables.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { type Artifact, PropertyType } from '../generated/ml_metadata/proto/metadata_store';
import { freePort } from '../test/helpers/net';
export { freePort };

export const ROOT = path.resolve(__dirname, '..');
export const BENCH_DIR = path.join(ROOT, '.bench');
export const VENV_PY = path.join(ROOT, '.venv', 'bin', 'python');

export interface BenchOptions {
  quick: boolean;
}

export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

export interface ServerProcess {
  address: string;
  port: number;
  /** What the server has written to stdout/stderr so far (its start-up line names the HTTP port). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The server the benches run: the built one (dist/, as `npm start` and the package run it), rebuilt first when older
 * than the sources (scripts/ensure-build.js, as `npm start` does); or another build's `dist/src/cli/main.js` named
 * by BENCH_SERVER (e.g. main's, for a before/after).
 */
let entry: string | undefined;
export function serverEntry(): string {
  if (entry) return entry;
  if (process.env.BENCH_SERVER) return (entry = path.resolve(process.env.BENCH_SERVER));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-build.js')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('npm run build failed');
  return (entry = path.join(ROOT, 'dist', 'src', 'cli', 'main.js'));
}

/** Starts the server (serverEntry) on a SQLite file with upstream's flags and waits until it listens. */
export async function startServerProcess(dbPath: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const cfg = path.join(BENCH_DIR, `server-${process.pid}-${Date.now()}.cfg`);
  fs.writeFileSync(
    cfg,
    `connection_config {\n  sqlite {\n    filename_uri: "${dbPath}"\n    connection_mode: READWRITE_OPENCREATE\n  }\n}\n`,
  );
  const server = await startCli([`--metadata_store_server_config_file=${cfg}`], env);
  return { ...server, stop: async () => (await server.stop(), fs.rmSync(cfg, { force: true })) };
}

/**
 * Starts the server (serverEntry) on a free port with the given flags, as users run it, and waits until
 * it accepts connections (up to 300 s: opening a large file may build missing indexes first).
 */
export async function startCli(flags: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const port = await freePort();
  const logPath = path.join(BENCH_DIR, `server-${port}.log`);
  const out = fs.openSync(logPath, 'w');
  const child: ChildProcess = spawn(
    process.execPath,
    [serverEntry(), `--grpc_port=${port}`, '--http_port=-1', ...flags],
    { cwd: ROOT, stdio: ['ignore', out, out], env: { ...process.env, ...env } },
  );
  fs.closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 300_000;
  while (!(await canConnect(port))) {
    if (exited)
      throw new Error(`server exited before listening; log: ${fs.readFileSync(logPath, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not listen within 300 s; log ${logPath}`);
    }
    await sleep(100);
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    output: () => fs.readFileSync(logPath, 'utf8'),
    stop: async () => {
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await done;
        clearTimeout(t);
      }
      fs.rmSync(logPath, { force: true }); // kept only when the server failed to start
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a script of bench/py with the venv's Python; it prints one JSON document on stdout (progress on stderr). */
export async function runPython<T>(script: string, args: readonly string[]): Promise<T> {
  if (!fs.existsSync(VENV_PY)) throw new Error(`${VENV_PY} missing: run bash scripts/setup-test-env.sh`);
  const child = spawn(VENV_PY, [path.join(ROOT, 'bench', 'py', script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    // TF/absl chatter off
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', GRPC_VERBOSITY: 'ERROR' },
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (stdout += d));
  const code: number = await new Promise((r) => child.once('exit', (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

// ---------------------------------------------------------------------------------------------------------------
// statistics

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const i = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[i];
}

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export function latency(samplesMs: readonly number[]): Latency {
  const s = [...samplesMs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// ---------------------------------------------------------------------------------------------------------------
// tables

export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`\n${title}`, line(cells[0]), sep, ...cells.slice(1).map(line)].join('\n') + '\n';
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function ratio(ours: number, ref: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(ref) || ref === 0) return 'n/a';
  return `${(ours / ref).toFixed(2)}x`;
}

/** The CRUD benches' artifact type and artifacts (one property, one custom property), shared by crud and postgres. */
export const CRUD_ARTIFACT_TYPE = { name: 'bench.CrudArtifact', properties: { split: PropertyType.STRING } };

export function crudArtifact(typeId: bigint | undefined, tag: string, i: number): Artifact {
  return {
    typeId,
    uri: `gs://bench/crud/${tag}/${i}`,
    name: `${tag}-${i}`,
    properties: { split: { value: { $case: 'stringValue', value: 'train' } } },
    customProperties: { n: { value: { $case: 'intValue', value: BigInt(i) } } },
  };
}

/**
 * Test harness: runs our server the way a user does — the CLI with upstream's flags
 * (`--grpc_port`, `--metadata_store_server_config_file` pointing at a text-format MetadataStoreServerConfig) —
 * as a child process, and waits until it accepts TCP connections.
 *
 * The child is `node --import tsx src/cli/main.ts …` (one process, so SIGKILL really kills the server;
 * `npx tsx` would put a wrapper process in between). MLMD_SERVER_CMD overrides the command (space-separated).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canConnect, freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';
export { freePort };

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CLI_PATH = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeSqliteConfig(dir: string, dbFile: string): string {
  const cfg = path.join(dir, `server-${process.pid}-${Date.now()}.cfg`);
  fs.writeFileSync(
    cfg,
    `connection_config {\n  sqlite {\n    filename_uri: ${JSON.stringify(dbFile)}\n    connection_mode: READWRITE_OPENCREATE\n  }\n}\n`,
  );
  return cfg;
}

export interface RunningServer {
  readonly port: number;
  readonly address: string;
  readonly proc: ChildProcess;
  /** What the server printed so far (stdout and stderr interleaved). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once; resolves when the process is gone. */
  kill(): Promise<void>;
}

function serverCommand(): string[] {
  const override = process.env.MLMD_SERVER_CMD?.trim();
  if (override) return override.split(/\s+/);
  return [process.execPath, '--import', 'tsx', CLI_PATH];
}

export function cliExists(): boolean {
  return Boolean(process.env.MLMD_SERVER_CMD?.trim()) || fs.existsSync(CLI_PATH);
}

function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

async function waitGone(proc: ChildProcess): Promise<void> {
  if (exited(proc)) return;
  await once(proc, 'exit');
}

/** Starts the CLI on `dbFile` (created if missing) and waits until the port accepts connections. */
export async function startServer(opts: {
  dbFile: string;
  dir: string;
  port?: number;
  extraArgs?: string[];
  timeoutMs?: number;
  /** Added to the child's environment. */
  env?: NodeJS.ProcessEnv;
}): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const cfg = writeSqliteConfig(opts.dir, opts.dbFile);
  const [cmd, ...args] = serverCommand();
  const proc = spawn(
    cmd,
    [
      ...args,
      `--grpc_port=${port}`,
      '--http_port=-1',
      `--metadata_store_server_config_file=${cfg}`,
      ...(opts.extraArgs ?? []),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  proc.on('error', (e) => (out += `\n[spawn error] ${e.message}\n`));

  const server: RunningServer = {
    port,
    address: `127.0.0.1:${port}`,
    proc,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (exited(proc)) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await waitGone(proc);
      clearTimeout(timer);
    },
    async kill() {
      if (exited(proc)) return;
      proc.kill('SIGKILL');
      await waitGone(proc);
    },
  };

  let exitedEarly = false;
  await waitFor(
    `the server to listen on ${port}`,
    async () => {
      if ((exitedEarly = exited(proc))) {
        throw new Error(`server exited (code ${proc.exitCode}, signal ${proc.signalCode}) before listening:\n${out}`);
      }
      return canConnect(port);
    },
    opts.timeoutMs ?? 60_000,
    100,
  ).catch(async (e: Error) => {
    if (exitedEarly) throw e;
    await server.kill();
    throw new Error(`${e.message}:\n${out}`);
  });
  return server;
}

/**
 * Running the server as an operator does (the built package through `npm start`, `npx`, or the bin itself) and
 * checking what it leaves behind: its JSON log lines, its process tree, its ports, its SQLite file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { waitFor } from './wait';

export const ROOT = path.resolve(__dirname, '..', '..');
/** The built server (npm run build). */
export const BUILT_CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Builds dist/ when it is missing or older than the sources (what `npm start` does first). */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-build.js')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status})`);
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** The JSON lines of a log (npm's banners and anything else that is not JSON are skipped). */
export function logLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const l of text.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(l) as LogLine);
    } catch {
      // a line cut by the end of the capture
    }
  }
  return lines;
}

/** The start-up line ("listening on ...", with the effective configuration), once written. */
export function startupLine(text: string): LogLine | undefined {
  return logLines(text).find((l) => l.msg.startsWith('listening on '));
}

export interface Launched {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  stderr(): string;
  stdout(): string;
  /** The process exited and its output is complete (every process holding its pipes is gone). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the start-up line; rejects when the process exits first or the time is up. */
  started(timeoutMs?: number): Promise<LogLine>;
}

export function launch(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean } = {},
): Launched {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let both = '';
  child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), (both += d.toString())));
  child.stderr!.on('data', (d: Buffer) => ((err += d.toString()), (both += d.toString())));
  let done = false;
  // 'close', not 'exit': it comes once the process exited AND every holder of its output pipes (its descendants
  // too) closed them, so the output read afterwards is complete.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => both,
    stderr: () => err,
    stdout: () => out,
    exited,
    async started(timeoutMs = 60_000) {
      await waitFor(`the start-up line of ${command}`, () => done || startupLine(both) !== undefined, timeoutMs);
      const line = startupLine(both);
      if (!line) throw new Error(`${command} exited before listening:\n${both}`);
      return line;
    },
  };
}

// ------------------------------------------------------------------------------------------- processes (Linux /proc)

function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const walk = (p: number): void => {
    tree.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return tree;
}

/** Running (a zombie, waiting only for its parent to read its exit status, holds nothing and counts as gone). */
export function isAlive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Whether a TCP port can be bound on every address again. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** What a SQLite file looks like after its server stopped: journal files left, integrity, and a count. */
export function inspectSqlite(
  file: string,
  countSql: string,
): { leftovers: string[]; integrity: string; count: number } {
  const leftovers = ['-wal', '-shm', '-journal'].filter((s) => fs.existsSync(file + s)).map((s) => file + s);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? '';
    const count = Number((db.prepare(countSql).pluck().get() as number | bigint) ?? 0);
    return { leftovers, integrity, count };
  } finally {
    db.close();
  }
}

/**
 * What the browser suites (and bench/ui.ts) share: the server binary with its HTTP listener on a free port, a real
 * headless Chromium (Debian's, driven by playwright-core; Playwright cannot download its own browsers here), and the
 * folder screenshots go to.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort, REPO_ROOT, startServer, type RunningServer } from '../compat/server-harness';
import { startupLine } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

export { REPO_ROOT };

/** Debian's chromium (scripts/install-system-deps.sh installs it); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Exit code a suite uses when it cannot run (test-all.sh: a failure under CI, a skip otherwise). */
export const CANNOT_RUN = 77;

/** Whether the browser and the built UI are there; the reason when not. */
export function missingPrerequisite(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `cannot run: no Chromium at ${CHROMIUM} (bash scripts/install-system-deps.sh)`;
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'ui', 'index.html')))
    return 'cannot run: the web UI is not built (npm run build:ui)';
  return undefined;
}

/** A browser suite's first step: without its prerequisites it exits with CANNOT_RUN (a failure under CI=true). */
export function exitUnlessRunnable(): void {
  const missing = missingPrerequisite();
  if (!missing) return;
  process.stdout.write(`${missing}\n`);
  process.exit(CANNOT_RUN);
}

export interface UiServer {
  server: RunningServer;
  /** host:port of the gRPC listener. */
  grpc: string;
  /** http://127.0.0.1:port of the HTTP listener (UI and gRPC-Web). */
  http: string;
  stop(): Promise<void>;
}

/** The CLI on `dbFile` with an HTTP listener on a free port (plus `extraArgs`), as a user starts it. */
export async function startUiServer(opts: { dbFile: string; dir: string; extraArgs?: string[] }): Promise<UiServer> {
  const httpPort = await freePort();
  const server = await startServer({
    dbFile: opts.dbFile,
    dir: opts.dir,
    extraArgs: ['--host=127.0.0.1', `--http_port=${httpPort}`, ...(opts.extraArgs ?? [])],
    timeoutMs: 300_000,
  });
  // The gRPC port answers first; the HTTP listener is up once the start-up line (a JSON log line) names it.
  const httpListening = (): boolean =>
    (startupLine(server.output())?.config as { http?: { port?: number } } | undefined)?.http?.port === httpPort;
  await waitFor(`the HTTP listener on ${httpPort}`, httpListening, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}:\n${server.output()}`);
  });
  return { server, grpc: server.address, http: `http://127.0.0.1:${httpPort}`, stop: () => server.stop() };
}

export interface Browser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile and no background traffic (this machine has no outside network: without
 * these flags Chromium keeps trying to reach Google's services).
 */
export async function launchBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-default-apps',
    ],
  });
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go: UI_SCREENSHOT_DIR, else test-artifacts/ui in the repository (gitignored). */
export function screenshotDir(suite: string): string {
  const dir = path.resolve(process.env.UI_SCREENSHOT_DIR ?? path.join(REPO_ROOT, 'test-artifacts', suite));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

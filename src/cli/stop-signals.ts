/**
 * When to stop: SIGTERM or SIGINT asks for a graceful shutdown; a second one while it runs exits at once.
 *
 * Whatever started the server, the signal must reach it. Started by `npm start`, the process tree is npm → sh →
 * node: npm 11 (@npmcli/run-script's signal manager) forwards SIGTERM/SIGINT only to its direct child, the `sh -c`
 * running the script, and Debian's dash forks the command instead of replacing itself, so the shell died of the
 * signal while node never got it; npm then re-raised the signal on itself and exited, leaving node orphaned,
 * holding the port and the database. Hence package.json's start script `exec`s node (npm's forwarded signal now
 * lands on the server itself), and two more rules here:
 *
 * - Ctrl-C in a terminal sends SIGINT to the whole foreground process group, and npm forwards its own copy: the
 *   same signal twice within a moment is one request, not the "second signal" that skips the graceful shutdown.
 * - Started through npm (`npm start`, `npx cmf-mlmd`: npm sets npm_lifecycle_event), the server also stops when its
 *   parent process dies. npx still runs the bin through a forking `sh -c`, and a supervisor may SIGKILL npm; either
 *   way the server notices it was orphaned (its parent pid changes) and shuts down gracefully. A server started
 *   any other way (systemd, a container, a shell) is never stopped by its parent exiting (nohup and friends).
 */
import type { Logger } from '../logger';

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** Copies of one signal arriving closer together than this are one request (a terminal's and npm's). */
export const DUPLICATE_SIGNAL_WINDOW_MS = 1000;
/** How often the parent is checked when the server runs under npm. */
export const PARENT_POLL_MS = 500;

const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGINT: 2, SIGTERM: 15 };

export interface StopWatch {
  /** Resolves with the reason of the first stop request. */
  readonly requested: Promise<string>;
  /** Removes the handlers (after the shutdown finished, or when start-up failed). */
  dispose(): void;
}

export interface StopWatchOptions {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Called for the second signal; exits the process (tests replace it). */
  exitNow?: (code: number) => void;
  duplicateWindowMs?: number;
}

export function watchForStop(options: StopWatchOptions): StopWatch {
  const { log } = options;
  const exitNow = options.exitNow ?? ((code: number) => process.exit(code));
  const window = options.duplicateWindowMs ?? DUPLICATE_SIGNAL_WINDOW_MS;
  let first: { signal?: StopSignal; at: number } | undefined;
  let resolveRequested!: (reason: string) => void;
  const requested = new Promise<string>((resolve) => (resolveRequested = resolve));

  const request = (reason: string, signal?: StopSignal): void => {
    first = { signal, at: Date.now() };
    log.info(
      { signal },
      `${reason}: shutting down gracefully (health NOT_SERVING, running calls finish); a second SIGTERM or SIGINT exits at once`,
    );
    resolveRequested(reason);
  };

  const onSignal = (signal: StopSignal): void => {
    if (first === undefined) return request(signal, signal);
    if (first.signal === signal && Date.now() - first.at < window) return;
    log.warn({ signal }, `${signal} again: exiting now, without waiting for running calls`);
    exitNow(128 + SIGNAL_NUMBERS[signal]);
  };
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });

  let parentTimer: NodeJS.Timeout | undefined;
  const env = options.env ?? process.env;
  if (env.npm_lifecycle_event !== undefined) {
    const parent = process.ppid;
    parentTimer = setInterval(() => {
      if (process.ppid === parent || first !== undefined) return;
      clearInterval(parentTimer);
      request(`parent process ${parent} (${env.npm_lifecycle_event} through npm) exited`);
    }, PARENT_POLL_MS);
    parentTimer.unref();
  }

  return {
    requested,
    dispose() {
      clearInterval(parentTimer);
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}

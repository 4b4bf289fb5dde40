/**
 * The server's log: JSON lines (pino) on stderr, one object per event with `level` (as a word), `time` (ISO 8601),
 * `pid` and `msg`, plus structured fields. stdout stays free for what a command prints (--help, --version).
 *
 * Secrets never reach the stream: every finished line passes through a scrubber that replaces each known secret
 * (passwords and keys from flags, the config file and the environment, collected by the CLI before anything is
 * logged) with [REDACTED], whatever field or message it hid in, and keys named like passwords are censored by pino.
 *
 * One process-wide logger, configured once by the CLI at start-up (`setLogger`); code that logs outside a request's
 * flow (the status mapping's unexpected errors) reads it with `logger()`. Domain layers (mlmd, cmf, storage, query)
 * never log.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const REDACTED = '[REDACTED]';

/** Field names whose value is a secret wherever they appear in a logged object (up to three levels deep). */
const SECRET_KEYS = ['password', 'passwd', 'sslpassword', 'serverKey', 'server_key', 'secret', 'token'];
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

/**
 * Shorter values would be found inside unrelated text, and so would JSON's own literals (a "secret" of `true` would
 * corrupt every line); such values protect nothing anyway, so they are not scrubbed.
 */
const MIN_SECRET_LENGTH = 4;
const JSON_LITERAL = /^(true|false|null|-?[0-9][0-9.e+-]*)$/i;

/**
 * A function that replaces every occurrence of the secrets in a serialised line, or undefined when there are none.
 * A secret can appear raw or JSON-escaped (quotes, backslashes, newlines of a PEM key), so both forms are replaced,
 * longest first so that a secret containing another is replaced whole.
 */
export function secretScrubber(secrets: readonly string[]): ((line: string) => string) | undefined {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH || JSON_LITERAL.test(s)) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  if (forms.size === 0) return undefined;
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (line) => {
    for (const f of ordered) if (line.includes(f)) line = line.split(f).join(REDACTED);
    return line;
  };
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Values that must never be written (see secretScrubber). */
  secrets?: readonly string[];
  /** Where lines go; default stderr. */
  destination?: pino.DestinationStream;
  /**
   * Censor fields named like secrets (default true). pino's path redaction makes a line about ten times dearer; the
   * access log, whose lines have fixed fields that never hold a secret, goes without it (the scrubber stays).
   */
  redactFields?: boolean;
}

/**
 * stderr, written synchronously: a line is out before the next statement runs (nothing is lost when the process
 * exits or crashes), and there is no flush at exit, which with an asynchronous stream retries for ever once the
 * reader of the pipe is gone (sonic-boom's flushSync loops on EPIPE). A reader that went away (EPIPE) silences the
 * log; no write error ever takes the server down.
 */
function stderrDestination(): pino.DestinationStream {
  const dest = pino.destination({ dest: 2, sync: true });
  dest.on('error', () => undefined);
  return dest;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const scrub = secretScrubber(options.secrets ?? []);
  return pino(
    {
      name: 'cmf-mlmd',
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: options.redactFields === false ? undefined : { paths: REDACT_PATHS, censor: REDACTED },
      hooks: scrub ? { streamWrite: scrub } : {},
    },
    options.destination ?? stderrDestination(),
  );
}

let current: Logger | undefined;

/** The process's logger (a default one on stderr at level info until the CLI configures it). */
export function logger(): Logger {
  return (current ??= createLogger());
}

export function setLogger(l: Logger): void {
  current = l;
}

/**
 * Every secret the server was given, so that the logger can keep it out of every line (src/logger.ts): passwords in
 * flags, in the config file and in the environment, credentials inside URIs, and the TLS private key (whole, and
 * each line of its body, so that a fragment quoted by some error message is caught too).
 */
import type { Flags } from './flags';
import type { ServerPlan } from './config';

/** Flags whose value is a secret (current and future ones: --mysql_config_password, --neo4j_passwd, ...). */
const SECRET_FLAG = /pass(word|wd)|secret|token/i;
/** Environment variables read as secrets (NEO4J_PASSWD, PGPASSWORD, MYSQL_PWD, ...). */
const SECRET_ENV = /(passwd|password|_pwd|secret|token)$/i;

/** The password of a URI's user-info (`bolt://user:secret@host`), if any. */
export function uriPassword(uri: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^/@]*)@/i.exec(uri);
  return m ? decodeURIComponentSafe(m[1]) : undefined;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A PEM block's body lines (base64), each long enough not to match by chance. */
function pemLines(pem: string): string[] {
  return pem
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----'));
}

export function collectSecrets(
  flags: Flags | undefined,
  plan: ServerPlan | undefined,
  env: NodeJS.ProcessEnv,
): string[] {
  const secrets: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string' && v !== '') secrets.push(v);
  };
  for (const [name, value] of Object.entries(flags ?? {})) {
    // A file's name is no secret (--api_tokens_file): its contents are, and they are never logged.
    if (SECRET_FLAG.test(name) && !name.endsWith('_file')) add(value);
    if (typeof value === 'string') add(uriPassword(value));
  }
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_ENV.test(name)) add(value);
    if (value !== undefined && /URI|URL/i.test(name)) add(uriPassword(value));
  }
  if (plan?.backend.kind === 'postgresql') {
    add(plan.backend.config.password);
    add(plan.backend.config.ssloption?.sslpassword);
  }
  if (plan?.backend.kind === 'mysql') add(plan.backend.config.password);
  const key = plan?.tls?.serverKey;
  if (key) {
    add(key);
    secrets.push(...pemLines(key));
  }
  return secrets;
}

/**
 * API tokens for service accounts (CI jobs, the `cmf` CLI). The file (--api_tokens_file) holds one line per token,
 * the account name, the token's id and a salted scrypt hash of the token; never the token itself:
 *
 *   # account  id            hash
 *   cmf-ci     3f9a0c51d2e4  scrypt:16384:8:1:<salt, base64url>:<hash, base64url>
 *
 * A token reads `cmfmlmd_<id>_<secret>`: the id finds its line without trying every hash. `cmf-mlmd token create
 * <account>` prints a new token once and appends its line. A token is accepted as a bearer token and as the
 * password of HTTP Basic credentials whose user is its account (`http://cmf-ci:<token>@host:8081` for the `cmf`
 * CLI). Hashes are compared in constant time; a token once verified is remembered (by its SHA-256) for a while, so
 * the deliberately slow hash is paid once per token, not per call.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { BoundedCache } from './bounded-cache';
import type { Principal } from './principal';

const TOKEN_PREFIX = 'cmfmlmd_';
const TOKEN = /^cmfmlmd_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
/** scrypt's cost: 16 MiB and some tens of ms per check. */
const SCRYPT = { N: 16384, r: 8, p: 1 };
const HASH_BYTES = 32;
/** How long a verified token is remembered, and how many are. */
const REMEMBER_MS = 5 * 60_000;
const REMEMBERED = 10_000;

interface TokenLine {
  account: string;
  id: string;
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export class ApiTokenFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiTokenFileError';
  }
}

export function isAccountName(name: string): boolean {
  return ACCOUNT.test(name);
}

/** Whether a bearer value has the shape of one of our tokens (else it is left to the OpenID verifier). */
export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX);
}

function hashOf(token: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(token, salt, HASH_BYTES, { N, r, p, maxmem: 256 * N * r }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

function parseLine(line: string, lineNo: number): TokenLine {
  const fields = line.trim().split(/\s+/);
  const fail = (what: string) => new ApiTokenFileError(`line ${lineNo}: ${what}`);
  if (fields.length !== 3) throw fail('expected "<account> <id> scrypt:N:r:p:<salt>:<hash>"');
  const [account, id, hash] = fields;
  if (!isAccountName(account)) throw fail(`"${account}" is not an account name`);
  if (!/^[0-9a-f]{12}$/.test(id)) throw fail('the id must be 12 hex digits');
  const m = /^scrypt:([0-9]+):([0-9]+):([0-9]+):([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/.exec(hash);
  if (!m) throw fail('the hash must read scrypt:N:r:p:<salt>:<hash>');
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 1024 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) {
    throw fail('scrypt parameters out of range');
  }
  return { account, id, N, r, p, salt: Buffer.from(m[4], 'base64url'), hash: Buffer.from(m[5], 'base64url') };
}

export class ApiTokens {
  private readonly byId: ReadonlyMap<string, TokenLine>;
  private readonly verified = new BoundedCache<Principal>(REMEMBERED);

  private constructor(lines: TokenLine[]) {
    this.byId = new Map(lines.map((l) => [l.id, l]));
  }

  /** Parses the file's text; a malformed line is an error naming it. */
  static parse(text: string): ApiTokens {
    const lines: TokenLine[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '' || line.trim().startsWith('#')) return;
      lines.push(parseLine(line, i + 1));
    });
    return new ApiTokens(lines);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * The account a token belongs to, or undefined when it is not a valid token (of `account`, when the caller named
   * one, as HTTP Basic does).
   */
  async verify(token: string, account?: string): Promise<Principal | undefined> {
    const key = createHash('sha256').update(token).digest('base64url');
    const known = this.verified.get(key);
    if (known !== undefined) return account === undefined || account === known.name ? known : undefined;
    const m = TOKEN.exec(token);
    const line = m ? this.byId.get(m[1]) : undefined;
    if (line === undefined || (account !== undefined && account !== line.account)) return undefined;
    const hash = await hashOf(token, line.salt, line.N, line.r, line.p);
    if (hash.length !== line.hash.length || !timingSafeEqual(hash, line.hash)) return undefined;
    const principal: Principal = { name: line.account, groups: [], source: 'api-token' };
    this.verified.set(key, principal, Date.now() + REMEMBER_MS);
    return principal;
  }
}

/** A new token for `account` and the file line that accepts it. */
export async function createApiToken(account: string): Promise<{ token: string; line: string }> {
  if (!isAccountName(account)) {
    throw new ApiTokenFileError(`"${account}" is not an account name (letters, digits, . _ @ -; at most 128)`);
  }
  const id = randomBytes(6).toString('hex');
  const token = `${TOKEN_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  const salt = randomBytes(16);
  const hash = await hashOf(token, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  const encoded = `scrypt:${SCRYPT.N}:${SCRYPT.r}:${SCRYPT.p}:${salt.toString('base64url')}:${hash.toString('base64url')}`;
  return { token, line: `${account} ${id} ${encoded}` };
}

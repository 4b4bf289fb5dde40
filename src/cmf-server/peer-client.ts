/**
 * Outbound HTTP to a peer cmf-server, whose URL a user typed: checked before use (http or https, a host, no
 * credentials, query or fragment), redirects refused (a peer cannot bounce us to another host), every call under a
 * timeout, and every response read only up to a byte limit (a peer cannot make us buffer without end).
 */
import { Code, MlmdError } from '../errors';

/** A peer that cannot be reached or answers what we cannot use (HTTP 502 with the message: the peer failed). */
export class PeerError extends MlmdError {
  constructor(message: string) {
    super(Code.UNAVAILABLE, message, 'PEER_FAILED');
    this.name = 'PeerError';
  }
}

/** A peer URL refused before any request (INVALID_ARGUMENT, HTTP 400). */
export class PeerUrlError extends MlmdError {
  constructor(message: string) {
    super(Code.INVALID_ARGUMENT, message);
    this.name = 'PeerUrlError';
  }
}

const MAX_URL_CHARS = 2048;

/** The peer's base URL, normalised (no trailing slash), or a PeerUrlError saying what is wrong with it. */
export function checkPeerUrl(text: string): URL {
  if (text.length > MAX_URL_CHARS) throw new PeerUrlError(`server_url is longer than ${MAX_URL_CHARS} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PeerUrlError(`server_url ${JSON.stringify(text)} is not an absolute URL (e.g. http://host:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PeerUrlError(`server_url must be http:// or https://, not ${url.protocol}`);
  }
  if (url.hostname === '') throw new PeerUrlError('server_url has no host');
  if (url.username !== '' || url.password !== '') throw new PeerUrlError('server_url must not carry credentials');
  if (url.search !== '' || url.hash !== '') throw new PeerUrlError('server_url must not have a query or fragment');
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

export interface PeerCallOptions {
  timeoutMs: number;
  maxBytes: number;
}

export interface PeerResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/** One request to `base` + `path`, with the options' timeout and response size limit. */
export async function callPeer(
  base: URL,
  path: string,
  init: { method: 'GET' | 'POST'; json?: unknown; query?: Array<[string, string]> },
  options: PeerCallOptions,
): Promise<PeerResponse> {
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  for (const [k, v] of init.query ?? []) url.searchParams.append(k, v);
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      redirect: 'error',
      signal,
      headers: init.json === undefined ? {} : { 'content-type': 'application/json' },
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
  } catch (e) {
    const reason = signal.aborted
      ? `no answer within ${options.timeoutMs} ms`
      : (((e as Error).cause as Error)?.message ?? (e as Error).message);
    throw new PeerError(`Target server is not reachable (${url.origin}${path}: ${reason})`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new PeerError(`${url.origin}${path} answered ${declared} bytes, over the ${options.maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > options.maxBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw new PeerError(`${url.origin}${path} answered more than the ${options.maxBytes}-byte limit`);
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (e) {
    if (e instanceof PeerError) throw e;
    throw new PeerError(
      `${url.origin}${path}: the answer was cut off (${signal.aborted ? 'timeout' : (e as Error).message})`,
    );
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: Buffer.concat(chunks),
  };
}

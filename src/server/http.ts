/**
 * The HTTP/1.1 listener beside the gRPC port. Browsers and the `cmf` CLI cannot speak native gRPC (HTTP/2 with
 * trailers), so everything they use arrives here: gRPC-Web onto the same handlers as gRPC, the cmf-server REST API,
 * the web UI's files. This module is only the listener: it dispatches each request to the first route that claims
 * it, turns a route's failure into an error response, and shuts down gracefully. Routes hold no domain logic either:
 * they decode, call a domain function, encode.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { notePathTenant, splitTenantPrefix } from './tenant-request';
import { httpsOptions, type SslConfig } from './tls';

/** One API on the listener (gRPC-Web, the cmf-server API, the UI...). The first route that matches handles it. */
export interface HttpRoute {
  /** Names the API in logs and metrics. */
  readonly name: string;
  /** Whether this route serves the request (by method, path and headers). Must not read the body. */
  matches(req: http.IncomingMessage, url: URL): boolean;
  /** Writes the whole response. A rejection becomes an error response (or a reset once headers are out). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
}

/** A failure with the HTTP status it should be answered with (e.g. 413 for a body over its limit). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * How long a client may take to send its request headers, and its whole request. Slow-loris clients otherwise hold
 * sockets for ever; a 50 MB push on a slow link still fits in the request limit.
 */
export const HEADERS_TIMEOUT_MS = 30_000;
export const REQUEST_TIMEOUT_MS = 300_000;

export interface HttpListenerOptions {
  host: string;
  /** 0 picks a free port; the handle reports the bound one. */
  port: number;
  routes: readonly HttpRoute[];
  /** MLMD's ssl_config: the HTTP listener serves HTTPS with the same key, certificate and client verification. */
  tls?: SslConfig;
  /** Reports a route's unexpected failure (the client gets a generic 500). */
  onError?: (route: string, error: unknown) => void;
  /** Told of every answered request (metrics, access log). */
  onExchange?: (exchange: HttpExchange) => void;
}

/** One answered HTTP request, as observers see it. */
export interface HttpExchange {
  /** The route that handled it (`none` when no route matched). */
  route: string;
  method: string;
  path: string;
  status: number;
  seconds: number;
  peer?: string;
  /** As declared by the client's content-length, and as sent. */
  requestBytes?: number;
  responseBytes: number;
}

export interface HttpListener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, lets running requests finish for at most `graceMs`, then closes every connection. */
  close(graceMs: number): Promise<void>;
}

/** Answers a JSON body; the one shape every route and the listener itself use for errors: `{ "error": message }`. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Reads a request body of at most `maxBytes` (HttpError 413 past it, without buffering the rest: the connection is
 * closed after the answer).
 */
export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The request target as a URL. Resolving it against a base would read `//other/x` as a protocol-relative URL (host
 * `other`, path `/x`); the target is always a path, so it is appended to a fixed origin instead.
 */
export function requestUrl(target: string): URL {
  return new URL(`http://localhost${target.startsWith('/') ? '' : '/'}${target}`);
}

function failureResponse(res: http.ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = error instanceof HttpError ? error.status : 500;
  if (status === 413) res.setHeader('connection', 'close');
  sendJson(res, status, { error: error instanceof HttpError ? error.message : 'internal error' });
}

/** Reports the exchange once the response is finished (or the connection closed under it). */
function observeExchange(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: () => string,
  report: (exchange: HttpExchange) => void,
): void {
  const t0 = process.hrtime.bigint();
  const socket = req.socket;
  const written0 = socket.bytesWritten;
  res.once('close', () => {
    const declared = Number(req.headers['content-length']);
    report({
      route: route(),
      method: req.method ?? '',
      path: (req.url ?? '/').split('?', 1)[0],
      // Closed before a response was finished: the client went away (nginx's convention for this is 499).
      status: res.writableFinished ? res.statusCode : 499,
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      peer: socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort}`,
      requestBytes: Number.isFinite(declared) ? declared : undefined,
      responseBytes: Math.max(0, socket.bytesWritten - written0),
    });
  });
}

export async function startHttpListener(options: HttpListenerOptions): Promise<HttpListener> {
  const inFlight = new Set<http.ServerResponse>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    let routeName = 'none';
    if (options.onExchange) observeExchange(req, res, () => routeName, options.onExchange);
    let url: URL;
    try {
      url = requestUrl(req.url ?? '/');
    } catch {
      sendJson(res, 400, { error: 'malformed request target' });
      return;
    }
    // `/t/<tenant>/...` is `/...` of that tenant: the routes see the rest, tenant-request.ts the tenant.
    const prefixed = splitTenantPrefix(url.pathname);
    if (prefixed) {
      notePathTenant(req, prefixed.tenant);
      url = requestUrl(prefixed.rest + url.search);
    }
    const route = options.routes.find((r) => r.matches(req, url));
    if (route === undefined) {
      sendJson(res, 404, { error: `no such resource: ${req.method} ${url.pathname}` });
      return;
    }
    routeName = route.name;
    route.handle(req, res, url).catch((error: unknown) => {
      if (!(error instanceof HttpError)) options.onError?.(route.name, error);
      failureResponse(res, error);
    });
  };

  const server = options.tls ? https.createServer(httpsOptions(options.tls), onRequest) : http.createServer(onRequest);
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (graceMs: number): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      // Keep-alive sockets with no request in flight would hold close() open until their timeout.
      server.closeIdleConnections();
      for (const res of inFlight) res.shouldKeepAlive = false;
    }));
  return { host: options.host, port, close };
}

/**
 * gRPC-Web on the HTTP listener, for browsers (our UI, Kubeflow's UI) that cannot speak gRPC over HTTP/2: every
 * method of every hosted service, built from the same registrations as the grpc-js server (services.ts), so a call
 * runs the same strict decoder, the same domain function, the same status mapping (status.ts) and the same message
 * limits as on native gRPC. This module is the HTTP side only; the wire format is grpc-web-frames.ts, CORS cors.ts.
 */
import type * as http from 'node:http';
import { status as Code } from '@grpc/grpc-js';
import { allowedOrigin, corsPreflightHeaders, corsResponseHeaders, type CorsPolicy } from './cors';
import {
  declaredLength,
  decodeRequestBody,
  encodeResponseBody,
  grpcWebMode,
  isStatus,
  looksLikeGrpcWeb,
  maxRequestBodyBytes,
  parseTimeout,
  RESPONSE_CONTENT_TYPE,
  type GrpcWebMode,
} from './grpc-web-frames';
import { HttpError, type HttpRoute } from './http';
import { httpCredentials } from './request-credentials';
import type { CallContext, ServiceRegistration, UnaryMethod } from './services';
import { tenantOfHttpRequest } from './tenant-request';
import { toGrpcStatus, type StatusObject } from './status';

/** Receive and send limits in bytes of one message, as grpc-js applies them; -1 means none. */
export interface MessageLimits {
  readonly receive: number;
  readonly send: number;
}

export interface GrpcWebOptions {
  services: readonly ServiceRegistration[];
  limits: MessageLimits;
  cors: CorsPolicy;
}

interface LimitedBody {
  bytes: Buffer;
  /** The body went past the limit; `bytes` holds what was read up to there. */
  overflow: boolean;
}

/** Reads at most `limit` bytes of a body; past it, stops (the connection is then closed after the answer). */
async function readUpTo(req: http.IncomingMessage, limit: number): Promise<LimitedBody> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    // A declared length over the limit needs only the frame header to be answered precisely.
    if (size > limit || (declared > limit && size >= 8)) return { bytes: Buffer.concat(chunks), overflow: true };
  }
  return { bytes: Buffer.concat(chunks), overflow: false };
}

/** The status for a body over the limit: grpc-js's wording when the frame header shows the message size. */
function oversizedStatus(head: Buffer, mode: GrpcWebMode, maxMessage: number): StatusObject {
  const length = declaredLength(head, mode);
  return {
    code: Code.RESOURCE_EXHAUSTED,
    details:
      length !== undefined && length > maxMessage
        ? `Received message larger than max (${length} vs ${maxMessage})`
        : `request body larger than one message of at most ${maxMessage} bytes`,
  };
}

const DEADLINE_EXCEEDED: StatusObject = { code: Code.DEADLINE_EXCEEDED, details: 'Deadline exceeded' };

/** Runs the method; a deadline from grpc-timeout answers DEADLINE_EXCEEDED (the call itself still completes). */
async function invoke(
  method: UnaryMethod,
  request: unknown,
  timeoutMs: number | undefined,
  context: CallContext,
): Promise<unknown> {
  // Promise.resolve().then also catches a function that throws synchronously instead of rejecting.
  const call = Promise.resolve().then(() => method.call(request, context));
  if (timeoutMs === undefined) return call;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(DEADLINE_EXCEEDED), Math.min(timeoutMs, 2 ** 31 - 1));
  });
  try {
    return await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
export function grpcWebRoute(options: GrpcWebOptions): HttpRoute {
  const methods = new Map<string, UnaryMethod>();
  for (const service of options.services) for (const m of service.methods) methods.set(m.path, m);
  const { limits, cors } = options;

  /** Runs one call to its status and response bytes; every failure is a status, never a throw. */
  async function run(
    req: http.IncomingMessage,
    path: string,
    mode: GrpcWebMode,
  ): Promise<{ status: StatusObject; message?: Buffer; closeAfter?: boolean }> {
    const method = methods.get(path);
    if (method === undefined) {
      return { status: { code: Code.UNIMPLEMENTED, details: `The server does not implement the method ${path}` } };
    }
    const timeout = parseTimeout(req.headers['grpc-timeout'] as string | undefined);
    if (isStatus(timeout)) return { status: timeout };
    const body = await readUpTo(req, maxRequestBodyBytes(mode, limits.receive));
    if (body.overflow) return { status: oversizedStatus(body.bytes, mode, limits.receive), closeAfter: true };
    const bytes = decodeRequestBody(body.bytes, mode, limits.receive, path);
    if (isStatus(bytes)) return { status: bytes };
    let request: unknown;
    try {
      request = method.requestDeserialize(bytes);
    } catch {
      // grpc-js's answer to a request it cannot decode (its details stay generic unless debugging is on).
      return { status: { code: Code.INTERNAL, details: 'Error deserializing request' } };
    }
    let response: unknown;
    try {
      const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      response = await invoke(method, request, timeout, {
        protocol: 'grpc-web',
        peer,
        credentials: httpCredentials(req),
        tenant: tenantOfHttpRequest(req),
      });
    } catch (error) {
      return { status: error === DEADLINE_EXCEEDED ? DEADLINE_EXCEEDED : toGrpcStatus(error) };
    }
    let message: Buffer;
    try {
      message = method.responseSerialize(response);
    } catch {
      return { status: { code: Code.INTERNAL, details: 'Error serializing response' } };
    }
    if (limits.send >= 0 && message.length > limits.send) {
      // grpc-js's wording, which counts the 5-byte frame header in the size it reports.
      const details = `Sent message larger than max (${message.length + 5} vs. ${limits.send})`;
      return { status: { code: Code.RESOURCE_EXHAUSTED, details } };
    }
    return { status: { code: Code.OK, details: 'OK' }, message };
  }

  return {
    name: 'grpc-web',
    matches: (req, url) =>
      methods.has(url.pathname) || (req.method === 'POST' && looksLikeGrpcWeb(req.headers['content-type'])),
    handle: async (req, res, url) => {
      const origin = allowedOrigin(cors, req);
      if (req.method === 'OPTIONS') {
        if (origin === undefined) throw new HttpError(403, `origin ${req.headers.origin ?? '(none)'} is not allowed`);
        res.writeHead(204, corsPreflightHeaders(origin));
        res.end();
        return;
      }
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST, OPTIONS');
        throw new HttpError(405, `${url.pathname} is a gRPC-Web method: POST it`);
      }
      const mode = grpcWebMode(req.headers['content-type']);
      if (mode === undefined) {
        throw new HttpError(
          415,
          `gRPC-Web needs content-type application/grpc-web(+proto) or application/grpc-web-text(+proto), not ${JSON.stringify(req.headers['content-type'] ?? '')}`,
        );
      }
      const outcome = await run(req, url.pathname, mode);
      if (res.destroyed) return; // the client went away; the call has run, nobody is left to tell
      const body = encodeResponseBody(mode, outcome.message, outcome.status);
      res.writeHead(200, {
        'content-type': RESPONSE_CONTENT_TYPE[mode],
        'content-length': body.length,
        ...corsResponseHeaders(origin),
        ...(outcome.closeAfter ? { connection: 'close' } : {}),
      });
      res.end(body);
    },
  };
}

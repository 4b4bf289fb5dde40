/**
 * Cross-origin access for browser pages served from another origin (Kubeflow's UI, a notebook's page). What a
 * browser may send and read is data, listed once; the policy is only which origins get it (`--cors_allowed_origins`).
 * Without an allowed origin nothing changes for same-origin pages such as our own UI.
 *
 * Requests a foreign page could send without a preflight (a form post) are not gRPC-Web: gRPC-Web's content types are
 * not CORS-safelisted, so a browser asks first, and a disallowed origin never gets to call a method.
 */
import type * as http from 'node:http';

/** What a gRPC-Web client sends besides the body, and the trailers-as-headers it must be able to read. */
export const GRPC_WEB_CORS = {
  allowedMethods: ['POST', 'OPTIONS'],
  allowedHeaders: ['content-type', 'x-grpc-web', 'x-user-agent', 'grpc-timeout', 'authorization'],
  exposedHeaders: ['grpc-status', 'grpc-message', 'grpc-status-details-bin'],
  /** How long a browser may reuse a preflight answer (Chromium caps it at 2 hours). */
  maxAgeSeconds: 7200,
} as const;

export interface CorsPolicy {
  /** Exact origins (`https://host:port`), or `*` for any. Empty: same-origin only. */
  readonly allowedOrigins: readonly string[];
}

/** The origin to echo in Access-Control-Allow-Origin, when the request has one and the policy allows it. */
export function allowedOrigin(policy: CorsPolicy, req: http.IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  return policy.allowedOrigins.includes('*') || policy.allowedOrigins.includes(origin) ? origin : undefined;
}

/** Headers for an actual (non-preflight) response to an allowed origin. */
export function corsResponseHeaders(origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': GRPC_WEB_CORS.exposedHeaders.join(', '),
    vary: 'Origin',
  };
}

/** Headers answering a preflight from an allowed origin. */
export function corsPreflightHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': GRPC_WEB_CORS.allowedMethods.join(', '),
    'access-control-allow-headers': GRPC_WEB_CORS.allowedHeaders.join(', '),
    'access-control-max-age': String(GRPC_WEB_CORS.maxAgeSeconds),
    vary: 'Origin',
  };
}

/**
 * Parses `--cors_allowed_origins`: a comma-separated list of origins (scheme, host and optional port, nothing else)
 * or `*`. Throws an Error naming the entry that is not an origin.
 */
export function parseAllowedOrigins(text: string): string[] {
  const origins: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry !== '*') {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      // No patterns: `*` alone allows any origin; `https://*.example.com` would read as a literal host.
      if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== entry || entry.includes('*')) {
        throw new Error(
          `--cors_allowed_origins: "${entry}" is not an origin (expected scheme://host[:port] with no path, e.g. https://kubeflow.example.com, or *)`,
        );
      }
    }
    origins.push(entry);
  }
  return origins;
}

/**
 * How a request names its tenant, on every protocol:
 *   - gRPC: the metadata entry `x-cmf-tenant`;
 *   - HTTP (gRPC-Web, the cmf-server API, the UI): the header `x-cmf-tenant`, or the path prefix `/t/<tenant>/`,
 *     for clients that can only be given a URL (the `cmf` CLI's --cmf-server-url, a browser's address bar).
 * Naming it twice, differently, is refused. What is read here is only what the request says; tenants.ts checks the
 * name and decides where a request that names none goes.
 */
import type * as http from 'node:http';
import type { Metadata } from '@grpc/grpc-js';
import { invalidArgument } from '../errors';

export const TENANT_HEADER = 'x-cmf-tenant';
export const TENANT_PATH_PREFIX = '/t/';

/** The one value of `x-cmf-tenant` in gRPC metadata, if any. */
export function tenantInMetadata(metadata: Metadata): string | undefined {
  const values = metadata.get(TENANT_HEADER);
  if (values.length > 1) throw invalidArgument(`the metadata ${TENANT_HEADER} is given ${values.length} times`);
  return values.length === 0 ? undefined : String(values[0]);
}

/** The path's `/t/<tenant>` prefix split off: the tenant as written and the rest of the path (at least `/`). */
export function splitTenantPrefix(pathname: string): { tenant: string; rest: string } | undefined {
  if (!pathname.startsWith(TENANT_PATH_PREFIX)) return undefined;
  const end = pathname.indexOf('/', TENANT_PATH_PREFIX.length);
  const tenant = pathname.slice(TENANT_PATH_PREFIX.length, end < 0 ? undefined : end);
  return { tenant, rest: end < 0 ? '/' : pathname.slice(end) };
}

/** The tenants named by the path prefix of HTTP requests the listener has seen, by request. */
const pathTenants = new WeakMap<http.IncomingMessage, string>();

/** Called by the listener when it strips a `/t/<tenant>` prefix from a request's path. */
export function notePathTenant(req: http.IncomingMessage, tenant: string): void {
  pathTenants.set(req, tenant);
}

/** The tenant an HTTP request names (prefix or header), if any; INVALID_ARGUMENT when it names two. */
export function tenantOfHttpRequest(req: http.IncomingMessage): string | undefined {
  const header = req.headers[TENANT_HEADER];
  if (Array.isArray(header)) throw invalidArgument(`the header ${TENANT_HEADER} is given ${header.length} times`);
  const fromPath = pathTenants.get(req);
  if (header !== undefined && fromPath !== undefined && header !== fromPath) {
    throw invalidArgument(`the path names tenant ${fromPath} and the header ${TENANT_HEADER} names ${header}`);
  }
  return fromPath ?? header;
}

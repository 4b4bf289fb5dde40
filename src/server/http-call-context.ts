/** The CallContext of a plain HTTP request (the cmf-server API, the lifecycle routes): who sends it, for which tenant. */
import type * as http from 'node:http';
import { httpCredentials } from './request-credentials';
import type { CallContext } from './services';
import { tenantOfHttpRequest } from './tenant-request';

export function httpCallContext(req: http.IncomingMessage): CallContext {
  return {
    protocol: 'http',
    peer: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
    credentials: httpCredentials(req),
    tenant: tenantOfHttpRequest(req),
  };
}

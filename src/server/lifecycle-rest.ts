/**
 * The lifecycle service over plain HTTP/JSON, for scripts and the cmf-server API's users: thin wiring over the same
 * domain functions as LifecycleService on gRPC (decode the proto3 JSON, call, encode), failures through the one
 * HTTP status table (http-status.ts).
 *
 *   POST /api/lifecycle/delete      body: a DeleteRequest in proto3 JSON   → a DeleteResponse
 *   GET  /api/lifecycle/deletions   ?page_size=&page_token=                → a ListDeletionsResponse
 */
import type * as http from 'node:http';
import { DeleteRequest, DeleteResponse, ListDeletionsResponse } from '../../generated/cmf_mlmd/v1/lifecycle';
import type { AccessControl } from '../access/access-control';
import type { LifecycleApi } from '../lifecycle/api';
import { HttpError, readBody, sendJson, type HttpRoute } from './http';
import { httpCallContext } from './http-call-context';
import { isServerFault, toHttpStatus } from './http-status';
import { LIFECYCLE_SERVICE_NAME } from './lifecycle-service';
import type { ServiceRoute } from './server';
import { methodTable } from './services';

const DELETE_PATH = '/api/lifecycle/delete';
const LIST_PATH = '/api/lifecycle/deletions';
/** A DeleteRequest is ids and filter texts: 16 MiB is far beyond any selection one request may delete. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

async function deleteRequest(req: http.IncomingMessage): Promise<DeleteRequest> {
  const text = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
    return DeleteRequest.fromJSON(json);
  } catch (e) {
    throw new HttpError(400, `the request body is not a DeleteRequest in JSON: ${(e as Error).message}`);
  }
}

function pageSize(url: URL): number {
  const text = url.searchParams.get('page_size') ?? '0';
  if (!/^[0-9]{1,9}$/.test(text)) throw new HttpError(400, `page_size must be a whole number: ${text.slice(0, 40)}`);
  return Number(text);
}

/**
 * Built over the hosted services: each request calls LifecycleService's methods as every protocol does (observed,
 * guarded as `admin`, dispatched to the request's tenant), with the request's HTTP context.
 */
export function lifecycleRoute(onError?: (error: unknown) => void, access?: AccessControl): ServiceRoute {
  return (services) => {
    const service = services.find((s) => s.name === LIFECYCLE_SERVICE_NAME);
    if (!service) throw new Error(`the lifecycle routes need ${LIFECYCLE_SERVICE_NAME} among the hosted services`);
    return route(methodTable<LifecycleApi>(service), onError, access);
  };
}

function route(
  lifecycle: (context: ReturnType<typeof httpCallContext>) => LifecycleApi,
  onError?: (error: unknown) => void,
  access?: AccessControl,
): HttpRoute {
  return {
    name: 'lifecycle',
    matches: (_req, url) => url.pathname === DELETE_PATH || url.pathname === LIST_PATH,
    handle: async (req, res, url) => {
      const method = url.pathname === DELETE_PATH ? 'POST' : 'GET';
      try {
        if (req.method !== method) {
          res.setHeader('allow', method);
          throw new HttpError(405, 'Method Not Allowed');
        }
        const api = lifecycle(httpCallContext(req));
        if (method === 'POST') {
          sendJson(res, 200, DeleteResponse.toJSON(await api.delete(await deleteRequest(req))));
        } else {
          const request = { pageSize: pageSize(url), pageToken: url.searchParams.get('page_token') ?? '' };
          sendJson(res, 200, ListDeletionsResponse.toJSON(await api.listDeletions(request)));
        }
      } catch (error) {
        if (res.headersSent) throw error;
        const { status, message } = toHttpStatus(error);
        if (isServerFault(error, status)) onError?.(error);
        if (status === 401 && access) res.setHeader('www-authenticate', access.challenge());
        if (status === 413) res.setHeader('connection', 'close');
        sendJson(res, status, { error: message });
      }
    },
  };
}

/**
 * cmf-server 0.1.0's HTTP API on the HTTP listener, so the unmodified `cmf` CLI, cmf-server's web UI and peer
 * cmf-servers talk to us: every path under /api/ (as the CLI calls it) and without the prefix (as cmf-server also
 * answers it, its app having root_path /api), except the bare root, which stays free for a web UI.
 *
 * Each endpoint decodes the request, calls one domain function (CmfApi's merge and export, the cmf-server views,
 * the data directory, federation) and encodes the answer the way cmf-server does: JSON, the pulled document as
 * text/html, env and label files as text/plain, env files as a zip. Failures answer FastAPI's shape
 * `{"detail": message}` with the status http-status.ts gives every failure.
 */
import type * as http from 'node:http';
import type { AccessControl } from '../access/access-control';
import type { AccessClass } from '../access/roles';
import type { CmfApi } from '../cmf/api';
import type { CmfServerViews, TableQuery } from '../cmf/server-views';
import type { CmfDataDir } from '../cmf-server/files';
import type { Federation } from '../cmf-server/federation';
import { writeZip } from '../cmf-server/zip';
import { HttpError, readBody, type HttpRoute } from './http';
import { guardedCall } from './access-guard';
import { isServerFault, toHttpStatus } from './http-status';
import { httpCallContext } from './http-call-context';
import { formBoundary, parseMultipart } from './multipart';
import type { ApiScope, CallContext } from './services';

/** What the API serves of one store (a tenant's): its views, data directory and peer registry. */
export interface CmfServerParts {
  views: CmfServerViews;
  dataDir: CmfDataDir;
  federation: Federation;
}

export interface CmfRestOptions {
  /** The parts of the store a request reaches (its tenant's: tenant-request.ts, tenants.ts). */
  parts: ApiScope<CmfServerParts>;
  /**
   * CmfService's methods as every protocol calls them (observed, guarded, dispatched to the call's tenant), for a
   * call with this context: push and pull count in the RPC metrics and the access log like the same call on gRPC.
   */
  cmf: (context: CallContext) => CmfApi;
  /** Largest push or pull request body (the gRPC message limit, so both protocols accept the same documents). */
  maxPushBytes: number;
  /** Largest file upload (python-env, label, TensorBoard log). */
  maxUploadBytes: number;
  /** Reports an unexpected failure (the client gets a generic 500). */
  onError?: (error: unknown) => void;
  /** Access control; absent: every route is open. */
  access?: AccessControl;
}

type Reply =
  | { status?: number; json: unknown }
  | { status?: number; text: string; contentType: string }
  | { status?: number; bytes: Buffer; contentType: string; filename?: string };

interface Call {
  /** The store's parts this request reaches. */
  t: CmfServerParts;
  /** The call as allowed (its tenant decided, its principal): push and pull hand it to CmfService's methods. */
  context: CallContext;
  req: http.IncomingMessage;
  params: string[];
  query: URLSearchParams;
}

interface Endpoint {
  method: 'GET' | 'POST';
  /** Path segments; "*" matches one (URL-decoded) segment, passed to the handler in order. */
  path: string[];
  /**
   * Also answered without the /api prefix (cmf-server answers both). Only the calls of the CLI and of peers are:
   * the rest of the bare path space is left to the web UI.
   */
  bare?: boolean;
  /**
   * What the route needs (access/roles.ts): this table is the REST half of the one classification (the gRPC half
   * is access/method-classes.ts). Reads are `read`; push and uploads `write`; federation's writes `admin`.
   */
  access: AccessClass;
  handle(call: Call): Promise<Reply>;
}

/** A request field that is missing or of the wrong type: FastAPI's 422. */
function invalid(message: string): HttpError {
  return new HttpError(422, message);
}

async function jsonBody(req: http.IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const text = (await readBody(req, maxBytes)).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid('the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${key} must be a string or null`);
  return v;
}

function requiredQuery(query: URLSearchParams, key: string): string {
  const v = query.get(key);
  if (v === null) throw invalid(`the query parameter ${key} is required`);
  return v;
}

function intQuery(query: URLSearchParams, key: string, fallback: number): number {
  const v = query.get(key);
  if (v === null) return fallback;
  if (!/^-?[0-9]{1,15}$/.test(v)) throw invalid(`${key} must be an integer`);
  return Number(v);
}

function tableQuery(query: URLSearchParams, defaultSort: string): TableQuery {
  return {
    activePage: intQuery(query, 'active_page', 1),
    recordPerPage: intQuery(query, 'record_per_page', 5),
    sortField: query.get('sort_field') ?? defaultSort,
    sortOrder: query.get('sort_order') ?? 'asc',
    filterValue: query.get('filter_value') ?? '',
  };
}

/** The one multipart part named "file" of an upload. */
async function uploadedFile(req: http.IncomingMessage, maxBytes: number): Promise<{ filename: string; data: Buffer }> {
  const boundary = formBoundary(req.headers['content-type']);
  const part = parseMultipart(await readBody(req, maxBytes), boundary).find((p) => p.name === 'file');
  if (!part) throw invalid('the form field "file" is required');
  if (!part.filename) throw new HttpError(400, 'No file uploaded');
  return { filename: part.filename, data: part.data };
}

function endpoints(o: CmfRestOptions): Endpoint[] {
  const pipelineMustExist = async (views: CmfServerViews, name: string) => {
    if (!(await views.hasPipeline(name))) throw new HttpError(404, `Pipeline ${name} not found.`);
  };
  return [
    { method: 'GET', path: [], access: 'open', handle: async () => ({ json: ['cmf-server'] }) },

    // ---------------------------------------------------------------- metadata push / pull
    {
      method: 'POST',
      path: ['mlmd_push'],
      access: 'write',
      bare: true,
      handle: async ({ req, context }) => {
        const body = await jsonBody(req, o.maxPushBytes);
        const pipelineName = optionalString(body, 'pipeline_name');
        if (pipelineName === undefined || pipelineName.trim() === '') {
          throw invalid('pipeline_name must be a non-blank string');
        }
        const json = optionalString(body, 'json_payload');
        if (!json) throw invalid('json_payload must be a non-empty string');
        const { status } = await o.cmf(context).mergeMetadata({
          json,
          pipelineName,
          execUuid: optionalString(body, 'exec_uuid'),
        });
        // The CLI reads `status` on a 422 (cmf-server puts it in `detail` only, which the CLI then fails to read).
        if (status === 'version_update') return { status: 422, json: { status, detail: status } };
        return { json: { status } };
      },
    },
    {
      method: 'POST',
      path: ['mlmd_pull'],
      access: 'read',
      bare: true,
      handle: async ({ req, context }) => {
        const body = await jsonBody(req, 64 * 1024);
        const pipelineName = optionalString(body, 'pipeline_name');
        const execUuid = optionalString(body, 'exec_uuid');
        const since = body.last_sync_time;
        if (since !== undefined && since !== null && !Number.isSafeInteger(since)) {
          throw invalid('last_sync_time must be an integer (ms since the epoch) or null');
        }
        const pulled = await o.cmf(context).pullMetadata({
          pipelineName,
          execUuid,
          lastSyncTime: since ? BigInt(since as number) : undefined,
        });
        const json = pulled.noExecUuid ? 'no_exec_uuid' : pulled.json!;
        return { text: json, contentType: 'text/html; charset=utf-8' };
      },
    },

    // ---------------------------------------------------------------- the UI's reads
    {
      method: 'GET',
      path: ['pipelines'],
      access: 'read',
      handle: async ({ t }) => ({ json: await t.views.pipelineNames() }),
    },
    {
      method: 'GET',
      path: ['artifact_types'],
      access: 'read',
      handle: async ({ t }) => ({ json: await t.views.artifactTypeNames() }),
    },
    {
      method: 'GET',
      path: ['executions', '*'],
      access: 'read',
      handle: async ({ t, params, query }) => {
        await pipelineMustExist(t.views, params[0]);
        return { json: await t.views.executionsTable(params[0], tableQuery(query, 'Context_Type')) };
      },
    },
    {
      method: 'GET',
      path: ['artifacts', '*', '*'],
      access: 'read',
      handle: async ({ t, params, query }) => {
        await pipelineMustExist(t.views, params[0]);
        return { json: await t.views.artifactsTable(params[0], params[1], tableQuery(query, 'name')) };
      },
    },
    {
      method: 'GET',
      path: ['artifact-lineage', 'tangled-tree', '*'],
      access: 'read',
      handle: async ({ t, params }) => {
        await pipelineMustExist(t.views, params[0]);
        return { json: await t.views.artifactLineage(params[0]) };
      },
    },
    {
      method: 'GET',
      path: ['execution-lineage', 'tangled-tree', '*', '*'],
      access: 'read',
      handle: async ({ t, params }) => {
        await pipelineMustExist(t.views, params[1]);
        return { json: await t.views.executionLineage(params[0], params[1]) };
      },
    },
    {
      method: 'GET',
      path: ['artifact-execution-lineage', 'tangled-tree', '*'],
      access: 'read',
      handle: async ({ t, params }) => {
        await pipelineMustExist(t.views, params[0]);
        return { json: await t.views.artifactExecutionLineage(params[0]) };
      },
    },
    {
      method: 'GET',
      path: ['list-of-executions', '*'],
      access: 'read',
      handle: async ({ t, params }) => {
        await pipelineMustExist(t.views, params[0]);
        return { json: await t.views.executionList(params[0]) };
      },
    },
    {
      method: 'GET',
      path: ['model-card'],
      access: 'read',
      handle: async ({ t, query }) => {
        const id = requiredQuery(query, 'modelId');
        if (!/^[0-9]{1,18}$/.test(id)) throw invalid('modelId must be an artifact id');
        return { json: await t.views.modelCard(BigInt(id)) };
      },
    },

    // ---------------------------------------------------------------- files
    {
      method: 'POST',
      path: ['python-env'],
      access: 'write',
      bare: true,
      handle: async ({ t, req }) => {
        const file = await uploadedFile(req, o.maxUploadBytes);
        await t.dataDir.savePythonEnv(file.filename, file.data);
        return { json: { message: `File '${file.filename}' uploaded successfully` } };
      },
    },
    {
      method: 'GET',
      path: ['python-env'],
      access: 'read',
      handle: async ({ t, query }) => ({
        text: await t.dataDir.readPythonEnv(requiredQuery(query, 'file_name')),
        contentType: 'text/plain; charset=utf-8',
      }),
    },
    {
      method: 'GET',
      path: ['download-python-env'],
      access: 'read',
      handle: async ({ t, query }) => {
        const names = query.getAll('list_of_files');
        const files = await t.dataDir.pythonEnvFiles(names);
        if (files.length === 0) throw new HttpError(404, 'Directory is empty');
        return {
          bytes: writeZip(files),
          contentType: 'application/zip',
          filename: names.length > 0 ? 'python_env_files.zip' : 'python_env_folder.zip',
        };
      },
    },
    {
      method: 'POST',
      path: ['label'],
      access: 'write',
      bare: true,
      handle: async ({ t, req }) => {
        const file = await uploadedFile(req, o.maxUploadBytes);
        const written = await t.dataDir.saveLabel(file.filename, file.data);
        return {
          json: {
            message: written
              ? `File '${file.filename}' uploaded successfully to labels.`
              : `File '${file.filename}' already exists at labels. Skipping upload.`,
          },
        };
      },
    },
    {
      method: 'GET',
      path: ['label-data'],
      access: 'read',
      handle: async ({ t, query }) => ({
        text: await t.dataDir.readLabel(requiredQuery(query, 'file_name')),
        contentType: 'text/plain; charset=utf-8',
      }),
    },
    {
      method: 'POST',
      path: ['tensorboard'],
      access: 'write',
      bare: true,
      handle: async ({ t, req, query }) => {
        const pipelineName = requiredQuery(query, 'pipeline_name');
        const file = await uploadedFile(req, o.maxUploadBytes);
        await t.dataDir.saveTensorboard(pipelineName, file.filename, file.data);
        return { json: { message: `File '${file.filename}' uploaded successfully` } };
      },
    },

    // ---------------------------------------------------------------- federation
    {
      method: 'POST',
      path: ['register-server'],
      access: 'admin',
      bare: true,
      handle: async ({ t, req }) => {
        const body = await jsonBody(req, 64 * 1024);
        const name = optionalString(body, 'server_name');
        const url = optionalString(body, 'server_url');
        if (!name || !url) throw invalid('server_name and server_url are required strings');
        return { json: await t.federation.register(name, url) };
      },
    },
    {
      method: 'POST',
      path: ['acknowledge'],
      access: 'read',
      bare: true,
      handle: async ({ t, req }) => {
        const body = await jsonBody(req, 64 * 1024);
        if (optionalString(body, 'server_name') === undefined || optionalString(body, 'server_url') === undefined) {
          throw invalid('server_name and server_url are required strings');
        }
        return { json: { message: 'Hi, I acknowledge your request.' } };
      },
    },
    {
      method: 'POST',
      path: ['sync'],
      access: 'admin',
      bare: true,
      handle: async ({ t, req }) => {
        const body = await jsonBody(req, 64 * 1024);
        const name = optionalString(body, 'server_name');
        const url = optionalString(body, 'server_url');
        if (name === undefined || url === undefined) throw invalid('server_name and server_url are required strings');
        return { json: await t.federation.sync(name, url) };
      },
    },
    {
      method: 'GET',
      path: ['server-list'],
      access: 'read',
      handle: async ({ t }) => ({ json: await t.federation.list() }),
    },
  ];
}

/** The path's segments, URL-decoded, and whether they came under /api; undefined when one cannot be decoded. */
function segmentsOf(pathname: string): { segments: string[]; prefixed: boolean } | undefined {
  let parts = pathname.split('/').slice(1);
  const prefixed = parts[0] === 'api';
  if (prefixed) parts = parts.slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts = parts.slice(0, -1);
  try {
    return { segments: parts.map((p) => decodeURIComponent(p)), prefixed };
  } catch {
    return undefined;
  }
}

function match(endpoint: Endpoint, segments: readonly string[]): string[] | undefined {
  if (endpoint.path.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (endpoint.path[i] === '*') params.push(segments[i]);
    else if (endpoint.path[i] !== segments[i]) return undefined;
  }
  return params;
}

function write(res: http.ServerResponse, reply: Reply): void {
  const status = reply.status ?? 200;
  if ('json' in reply) {
    const text = JSON.stringify(reply.json);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } else if ('text' in reply) {
    res.writeHead(status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.text) });
    res.end(reply.text);
  } else {
    res.writeHead(status, {
      'content-type': reply.contentType,
      'content-length': reply.bytes.length,
      ...(reply.filename ? { 'content-disposition': `attachment; filename=${reply.filename}` } : {}),
    });
    res.end(reply.bytes);
  }
}

/** A route as the audit names it: `POST /api/mlmd_push`, `GET /api/executions/*`. */
export function routeName(endpoint: Pick<Endpoint, 'method' | 'path'>): string {
  return `${endpoint.method} /api/${endpoint.path.join('/')}`;
}

/**
 * Every route's method, path and class (for tests and documentation). Building the table only closes over the
 * options (no handler runs), so empty options are enough to read it.
 */
export function cmfServerRouteTable(): readonly Pick<Endpoint, 'method' | 'path' | 'access' | 'bare'>[] {
  return endpoints({} as CmfRestOptions).map(({ method, path, access, bare }) => ({ method, path, access, bare }));
}

export function cmfServerRoute(options: CmfRestOptions): HttpRoute {
  const table = endpoints(options);
  const find = (req: http.IncomingMessage, url: URL) => {
    const path = segmentsOf(url.pathname);
    if (!path) return undefined;
    const { segments, prefixed } = path;
    const matching = table.filter(
      (e) => match(e, segments) !== undefined && (prefixed || (e.bare === true && e.method === req.method)),
    );
    return matching.length === 0 ? undefined : { matching, segments };
  };
  return {
    name: 'cmf-server',
    matches: (req, url) => find(req, url) !== undefined,
    handle: async (req, res, url) => {
      const { matching, segments } = find(req, url)!;
      const endpoint = matching.find((e) => e.method === req.method);
      try {
        if (!endpoint) {
          res.setHeader('allow', matching.map((e) => e.method).join(', '));
          throw new HttpError(405, 'Method Not Allowed');
        }
        const call = { req, params: match(endpoint, segments)!, query: url.searchParams };
        // Allowed (with access control) for a tenant, then served from that tenant's store.
        const serve = (context: CallContext) => options.parts(context, (t) => endpoint.handle({ ...call, t, context }));
        const reply = options.access
          ? await guardedCall(options.access, routeName(endpoint), endpoint.access, httpCallContext(req), serve)
          : await serve(httpCallContext(req));
        write(res, reply);
      } catch (error) {
        if (res.headersSent) throw error;
        const { status, message } = toHttpStatus(error);
        if (isServerFault(error, status)) options.onError?.(error);
        if (status === 401 && options.access) res.setHeader('www-authenticate', options.access.challenge());
        // A body over its limit was not read to its end: close the connection rather than read the rest.
        if (status === 413) res.setHeader('connection', 'close');
        write(res, { status, json: { detail: message } });
      }
    },
  };
}

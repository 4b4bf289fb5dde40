/**
 * gRPC-Web on the HTTP listener, over real sockets, against native gRPC on the same server: the same answers byte for
 * byte (binary and base64 text mode), the same status codes and messages for failures (domain errors, malformed
 * requests, unknown methods, message limits both ways, deadlines), CORS, and hostile bodies (truncated frames, huge
 * length prefixes, bad base64, wrong content types, random bytes) that always get a gRPC-Web status and never hurt
 * the server.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';

import { GetPipelineNamesRequest } from '../../generated/cmf/v1/cmf_service';
import { Event_Type, PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import {
  GetArtifactsByIDRequest,
  GetArtifactsRequest,
  GetArtifactTypeRequest,
  GetArtifactTypesRequest,
  GetContextsRequest,
  GetEventsByExecutionIDsRequest,
  GetExecutionsRequest,
  GetLineageSubgraphRequest,
  PutArtifactsRequest,
  PutArtifactsResponse,
} from '../../generated/ml_metadata/proto/metadata_store_service';
import { MlmdClient } from '../../src/client';
import { createCmfApi, type CmfApi } from '../../src/cmf/api';
import { createMlmdApi } from '../../src/mlmd/store';
import { cmfServiceRegistration } from '../../src/server/cmf-service';
import { startServer, type ServerHandle } from '../../src/server/server';
import { openDatabase } from '../../src/storage/open';
import { rawUnaryCall } from '../helpers/grpc-probes';
import { frame, grpcWebPost, type GrpcWebReply, type Mode } from '../helpers/grpc-web';
import { intValue, stringValue } from '../helpers/mlmd';

const MLMD = '/ml_metadata.MetadataStoreService';
const MODES: Mode[] = ['binary', 'text'];
const SMALL_LIMIT = 1024;
const ALLOWED_ORIGIN = 'http://ui.example.test:3000';

interface Running {
  server: ServerHandle;
  base: string;
  native: grpc.Client;
  client: MlmdClient;
  close(): Promise<void>;
}

/** A server with MLMD and CMF on a fresh SQLite file; `cmf` lets a test stand in for CMF's table. */
async function start(
  dir: string,
  options: { maxMessageBytes?: number; cors?: string[]; cmf?: (api: CmfApi) => CmfApi } = {},
): Promise<Running> {
  const db = await openDatabase({ kind: 'sqlite', filenameUri: path.join(dir, `mlmd-${Date.now()}.db`) });
  const cmfApi = createCmfApi(db);
  const server = await startServer({
    api: createMlmdApi(db),
    extraServices: [cmfServiceRegistration(options.cmf ? options.cmf(cmfApi) : cmfApi)],
    host: '127.0.0.1',
    port: 0,
    maxMessageBytes: options.maxMessageBytes,
    shutdownGraceMs: 2_000,
    http: { port: 0, routes: [], corsAllowedOrigins: options.cors },
    onShutdown: () => db.close(),
  });
  const address = `127.0.0.1:${server.port}`;
  const native = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  const client = new MlmdClient(address, { deadlineMs: 30_000 });
  return {
    server,
    base: `http://127.0.0.1:${server.httpPort}`,
    native,
    client,
    close: async () => {
      native.close();
      client.close();
      await server.shutdown();
    },
  };
}

/** The same request over native gRPC and over gRPC-Web in `mode`. */
async function both(s: Running, method: string, request: Uint8Array, mode: Mode) {
  const native = await rawUnaryCall(s.native, method, Buffer.from(request));
  const web = await grpcWebPost(s.base, method, frame(request), { mode });
  return { native, web };
}

/** Asserts the gRPC-Web reply carries exactly the native outcome (reply bytes, or code and message). */
function assertSame(native: Awaited<ReturnType<typeof rawUnaryCall>>, web: GrpcWebReply, what: string): void {
  assert.equal(web.httpStatus, 200, `${what}: HTTP ${web.httpStatus} ${web.body.toString()}`);
  if ('reply' in native) {
    assert.equal(web.code, grpc.status.OK, `${what}: ${web.code} ${web.details}`);
    assert.ok(web.message, `${what}: no message frame`);
    assert.equal(web.message.toString('hex'), native.reply.toString('hex'), `${what}: reply bytes differ`);
  } else {
    assert.equal(web.message, undefined, `${what}: a failed call has no message frame`);
    assert.deepEqual([web.code, web.details], [native.code, native.details], what);
  }
}

describe('gRPC-Web on the HTTP listener', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-grpc-web-'));
  let s: Running;
  let small: Running;
  let releaseSlow: () => void = () => {};
  let typeId: bigint;
  let artifactIds: bigint[];
  let executionId: bigint;

  before(async () => {
    s = await start(dir);
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    small = await start(dir, {
      maxMessageBytes: SMALL_LIMIT,
      cors: [ALLOWED_ORIGIN],
      // A domain function the test controls, to see a deadline pass while a call runs.
      cmf: (api) => ({ ...api, getPipelineNames: async (r) => (await slowGate, api.getPipelineNames(r)) }),
    });
    typeId = (
      await s.client.putArtifactType({
        artifactType: { name: 'Dataset', properties: { rows: PropertyType.INT, split: PropertyType.STRING } },
      })
    ).typeId!;
    artifactIds = (
      await s.client.putArtifacts({
        artifacts: Array.from({ length: 5 }, (_, i) => ({
          typeId,
          uri: `s3://bucket/${i}`,
          name: `data-${i}`,
          properties: { rows: intValue(100 * i), split: stringValue(i % 2 ? 'eval' : 'train') },
          customProperties: { note: stringValue(`ünïcödé ${i}`) },
        })),
      })
    ).artifactIds;
    const et = (await s.client.putExecutionType({ executionType: { name: 'Trainer' } })).typeId!;
    executionId = (
      await s.client.putExecution({
        execution: { typeId: et, name: 'train' },
        artifactEventPairs: artifactIds.map((artifactId, i) => ({
          artifact: { id: artifactId },
          event: { type: i < 3 ? Event_Type.INPUT : Event_Type.OUTPUT },
        })),
      })
    ).executionId!;
  });
  after(async () => {
    releaseSlow();
    await s?.close();
    await small?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers read RPCs with the same bytes as native gRPC, in binary and text mode', async () => {
    const requests: [string, Uint8Array][] = [
      ['GetArtifactTypes', GetArtifactTypesRequest.encode({}).finish()],
      [
        'GetArtifacts',
        GetArtifactsRequest.encode({ options: { maxResultSize: 2, filterQuery: "uri LIKE 's3://%'" } }).finish(),
      ],
      ['GetArtifactsByID', GetArtifactsByIDRequest.encode({ artifactIds }).finish()],
      ['GetExecutions', GetExecutionsRequest.encode({}).finish()],
      ['GetContexts', GetContextsRequest.encode({}).finish()],
      ['GetEventsByExecutionIDs', GetEventsByExecutionIDsRequest.encode({ executionIds: [executionId] }).finish()],
      [
        'GetLineageSubgraph',
        GetLineageSubgraphRequest.encode({
          lineageSubgraphQueryOptions: {
            startingNodes: { $case: 'startingArtifacts', value: { filterQuery: `id = ${artifactIds[0]}` } },
            maxNumHops: 2n,
          },
        }).finish(),
      ],
    ];
    for (const mode of MODES) {
      for (const [method, request] of requests) {
        const { native, web } = await both(s, `${MLMD}/${method}`, request, mode);
        assert.ok('reply' in native, `${method} failed natively`);
        assertSame(native, web, `${mode} ${method}`);
        assert.equal(
          web.contentType,
          mode === 'binary' ? 'application/grpc-web+proto' : 'application/grpc-web-text+proto',
        );
      }
    }
  });

  it('writes through gRPC-Web are visible to native clients, and CmfService is served too', async () => {
    for (const mode of MODES) {
      const request = PutArtifactsRequest.encode({ artifacts: [{ typeId, uri: `web://${mode}` }] }).finish();
      const web = await grpcWebPost(s.base, `${MLMD}/PutArtifacts`, frame(request), { mode });
      assert.equal(web.code, grpc.status.OK, web.details);
      const [id] = PutArtifactsResponse.decode(web.message!).artifactIds!;
      const [stored] = (await s.client.getArtifactsById({ artifactIds: [id] })).artifacts;
      assert.equal(stored.uri, `web://${mode}`);
      const cmf = await both(
        s,
        '/cmf.v1.CmfService/GetPipelineNames',
        GetPipelineNamesRequest.encode({}).finish(),
        mode,
      );
      assertSame(cmf.native, cmf.web, `${mode} GetPipelineNames`);
    }
  });

  it('fails with the code and message native gRPC gives: domain errors, malformed requests, unknown methods', async () => {
    const cases: [string, string, Uint8Array][] = [
      ['missing type', `${MLMD}/GetArtifactType`, GetArtifactTypeRequest.encode({ typeName: 'no such type' }).finish()],
      [
        'bad filter',
        `${MLMD}/GetArtifacts`,
        GetArtifactsRequest.encode({ options: { filterQuery: 'name = ' } }).finish(),
      ],
      [
        'value without a case',
        `${MLMD}/PutArtifacts`,
        PutArtifactsRequest.encode({ artifacts: [{ typeId, customProperties: { empty_value: {} } }] }).finish(),
      ],
      [
        'non-ASCII message',
        `${MLMD}/GetArtifactType`,
        GetArtifactTypeRequest.encode({ typeName: 'ü 中文 😀 %41 %' }).finish(),
      ],
      ['malformed protobuf', `${MLMD}/GetArtifactsByID`, Buffer.from([0x0a, 0x7f, 0x01])],
      ['invalid wire type', `${MLMD}/GetArtifacts`, Buffer.from([0x0f])],
      ['unknown method', `${MLMD}/NoSuchMethod`, Buffer.alloc(0)],
      ['unknown service', '/no.such.Service/Get', Buffer.alloc(0)],
    ];
    for (const mode of MODES) {
      for (const [what, method, request] of cases) {
        const { native, web } = await both(s, method, request, mode);
        assert.ok(!('reply' in native), `${what} succeeded natively`);
        assertSame(native, web, `${mode} ${what}`);
        // The trailer block itself stays ASCII: grpc-message is percent-encoded.
        assert.match(Object.values(web.trailers).join(''), /^[\x20-\x7e]*$/);
      }
    }
  });

  it('applies the message limits native gRPC applies, with the same statuses', async () => {
    const big = PutArtifactsRequest.encode({ artifacts: [{ typeId: 1n, uri: 'x'.repeat(SMALL_LIMIT * 2) }] }).finish();
    for (const mode of MODES) {
      const { native, web } = await both(small, `${MLMD}/PutArtifacts`, big, mode);
      assert.equal(web.code, grpc.status.RESOURCE_EXHAUSTED);
      assertSame(native, web, `${mode} request over the receive limit`);
    }
    // A response over the send limit: store enough rows, then list them.
    const t = (await small.client.putArtifactType({ artifactType: { name: 'Big' } })).typeId!;
    for (let batch = 0; batch < 4; batch++) {
      await small.client.putArtifacts({
        artifacts: Array.from({ length: 5 }, (_, i) => ({ typeId: t, uri: `u-${batch}-${i}-${'y'.repeat(80)}` })),
      });
    }
    for (const mode of MODES) {
      const { native, web } = await both(small, `${MLMD}/GetArtifacts`, GetArtifactsRequest.encode({}).finish(), mode);
      assert.equal(web.code, grpc.status.RESOURCE_EXHAUSTED);
      assertSame(native, web, `${mode} response over the send limit`);
    }
    // A frame header that claims more than the limit is refused before the body is read.
    for (const mode of MODES) {
      const web = await grpcWebPost(small.base, `${MLMD}/GetArtifacts`, frame(Buffer.alloc(16), 0, 0xffffffff), {
        mode,
      });
      assert.deepEqual(
        [web.code, web.details],
        [grpc.status.RESOURCE_EXHAUSTED, `Received message larger than max (4294967295 vs ${SMALL_LIMIT})`],
      );
    }
    // A body far past one message's limit (a small frame followed by megabytes) is cut off, not buffered.
    const flood = Buffer.concat([frame(Buffer.alloc(4)), Buffer.alloc(4 * 1024 * 1024, 7)]);
    const web = await grpcWebPost(small.base, `${MLMD}/GetArtifacts`, flood);
    assert.equal(web.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(web.headers.get('connection'), 'close');
    assert.equal((await small.client.getArtifactTypes({})).artifactTypes.length > 0, true);
  });

  it('refuses malformed framing with a gRPC status and keeps serving', async () => {
    const ok = GetArtifactTypesRequest.encode({}).finish();
    const cases: [string, Buffer | string, Mode, number, RegExp][] = [
      ['empty body', Buffer.alloc(0), 'binary', grpc.status.UNIMPLEMENTED, /no request message/],
      ['truncated frame header', Buffer.from([0, 0, 0]), 'binary', grpc.status.INTERNAL, /frame header/],
      ['truncated payload', frame(Buffer.alloc(3), 0, 10), 'binary', grpc.status.INTERNAL, /declares 10 bytes but 3/],
      ['two messages', Buffer.concat([frame(ok), frame(ok)]), 'binary', grpc.status.UNIMPLEMENTED, /second request/],
      ['trailer frame from the client', frame(Buffer.from('a:b'), 0x80), 'binary', grpc.status.INTERNAL, /trailer/],
      ['reserved flags', frame(ok, 0x02), 'binary', grpc.status.INTERNAL, /reserved frame flags/],
      ['compressed', frame(ok, 0x01), 'binary', grpc.status.UNIMPLEMENTED, /compressed/],
      ['base64 with a foreign character', 'AAAA*AAA', 'text', grpc.status.INTERNAL, /invalid base64 at character 4/],
      ['base64 not a multiple of 4', 'AAAAAAA', 'text', grpc.status.INTERNAL, /multiple of 4/],
      ['base64 padding in the middle of a group', 'AA=A', 'text', grpc.status.INTERNAL, /invalid base64/],
      ['non-ASCII in base64', Buffer.from('AAAAü==', 'utf8'), 'text', grpc.status.INTERNAL, /base64/],
      ['invalid grpc-timeout', frame(ok), 'binary', grpc.status.INTERNAL, /Invalid grpc-timeout value "soon"/],
    ];
    for (const [what, body, mode, code, details] of cases) {
      const web = await grpcWebPost(s.base, `${MLMD}/GetArtifactTypes`, body, {
        mode,
        raw: true,
        headers: what === 'invalid grpc-timeout' ? { 'grpc-timeout': 'soon' } : {},
      });
      assert.equal(web.httpStatus, 200, what);
      assert.equal(web.code, code, `${what}: ${web.details}`);
      assert.match(web.details, details, what);
    }
    // Base64 sent as several padded chunks (each frame encoded on its own) is one body.
    const chunked = `${frame(ok).subarray(0, 4).toString('base64')}${frame(ok).subarray(4).toString('base64')}`;
    assert.match(chunked, /=.+/);
    const web = await grpcWebPost(s.base, `${MLMD}/GetArtifactTypes`, chunked, { mode: 'text' });
    assert.equal(web.code, grpc.status.OK, web.details);
    assert.ok((await s.client.getArtifactTypes({})).artifactTypes.length > 0);
  });

  it('answers requests that are not gRPC-Web with HTTP errors', async () => {
    const body = frame(GetArtifactTypesRequest.encode({}).finish());
    for (const contentType of ['application/json', 'application/grpc-web+json', 'text/plain', 'application/grpc']) {
      const res = await fetch(`${s.base}${MLMD}/GetArtifactTypes`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      assert.equal(res.status, 415, contentType);
      assert.match(((await res.json()) as { error: string }).error, /content-type/);
    }
    const get = await fetch(`${s.base}${MLMD}/GetArtifactTypes`);
    assert.deepEqual([get.status, get.headers.get('allow')], [405, 'POST, OPTIONS']);
    const health = await fetch(`${s.base}/healthz`);
    assert.equal(health.status, 200);
  });

  it('any random body gets a well-formed gRPC-Web answer and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...MODES),
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc
            .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 300 }), fc.uint8Array({ maxLength: 40 }))
            .map(([flags, length, payload]) => frame(payload, flags, length)),
        ),
        fc.constantFrom('GetArtifacts', 'GetArtifactsByID', 'PutArtifactType', 'GetLineageSubgraph'),
        async (mode, bytes, method) => {
          const body = mode === 'text' ? Buffer.from(bytes).toString('base64') : Buffer.from(bytes);
          const web = await grpcWebPost(s.base, `${MLMD}/${method}`, body, { mode, raw: true });
          assert.equal(web.httpStatus, 200);
          assert.ok(Number.isInteger(web.code) && web.code >= 0 && web.code <= 16, `code ${web.code}`);
        },
      ),
      { numRuns: 150, seed: 14 },
    );
    assert.ok((await s.client.getArtifactTypes({})).artifactTypes.length > 0);
  });

  it('answers DEADLINE_EXCEEDED when grpc-timeout passes while the call runs', async () => {
    const web = await grpcWebPost(
      small.base,
      '/cmf.v1.CmfService/GetPipelineNames',
      frame(GetPipelineNamesRequest.encode({}).finish()),
      { headers: { 'grpc-timeout': '50m' } },
    );
    assert.deepEqual([web.code, web.details], [grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded']);
    releaseSlow();
    const after = await grpcWebPost(small.base, '/cmf.v1.CmfService/GetPipelineNames', frame(Buffer.alloc(0)), {
      headers: { 'grpc-timeout': '10S' },
    });
    assert.equal(after.code, grpc.status.OK, after.details);
  });

  it('CORS: allowed origins get preflights and exposed status headers; others get neither', async () => {
    const path = `${MLMD}/GetArtifactTypes`;
    const preflight = (base: string, origin: string) =>
      fetch(`${base}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-grpc-web,x-user-agent',
        },
      });
    const allowed = await preflight(small.base, ALLOWED_ORIGIN);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(allowed.headers.get('access-control-allow-headers')!, /x-grpc-web/);
    assert.match(allowed.headers.get('access-control-allow-methods')!, /POST/);
    assert.equal((await preflight(small.base, 'http://evil.example')).status, 403);
    assert.equal((await preflight(s.base, ALLOWED_ORIGIN)).status, 403, 'no origins configured: same-origin only');

    const call = (base: string, origin: string) =>
      grpcWebPost(base, path, frame(GetArtifactTypesRequest.encode({}).finish()), { headers: { origin } });
    const ok = await call(small.base, ALLOWED_ORIGIN);
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.match(ok.headers.get('access-control-expose-headers')!, /grpc-status.*grpc-message/);
    assert.equal((await call(small.base, 'http://evil.example')).headers.get('access-control-allow-origin'), null);
  });
});

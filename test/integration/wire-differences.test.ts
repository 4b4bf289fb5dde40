/**
 * The last differences from Google's server on the wire, each checked where a client sees it (issue 10, item 7):
 *   - next_page_token on the last page: unset for GetArtifacts/Executions/Contexts, present and empty for the listings
 *     by type called with options (proto2: a set empty string is a different message; issue 18);
 *   - GetLineageSubgraph starts from 101 nodes when more match, as Google's server does;
 *   - PutLineageSubgraph checks node properties against types before it writes contexts;
 *   - invalid UTF-8 in any string field of any request is INVALID_ARGUMENT naming the field ("Structurally invalid
 *     UTF8 string" for a filter_query), never stored altered;
 *   - --postgres_config_* (or incomplete --mysql_config_*) flags without what selects the backend stop the server.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as grpc from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';

import {
  GetArtifactsByTypeRequest,
  GetArtifactsRequest,
  GetContextsRequest,
  GetExecutionsByTypeRequest,
  PutArtifactsRequest,
  PutContextsRequest,
} from '../../generated/ml_metadata/proto/metadata_store_service';
import { CreateExecutionRequest } from '../../generated/cmf/v1/cmf_service';
import { createMlmdApi } from '../../src/mlmd/store';
import { startServer } from '../../src/server/server';
import { openDatabase } from '../../src/storage/open';
import { frame, grpcWebPost } from '../helpers/grpc-web';
import { expectStatus, status, uniq } from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';

const SERVICE = '/ml_metadata.MetadataStoreService';

/** Sends raw bytes as a request; resolves with the raw reply or the error status. */
function rawCall(
  client: grpc.Client,
  method: string,
  body: Uint8Array,
): Promise<{ code: grpc.status; details: string } | { reply: Buffer }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      new grpc.Metadata(),
      { deadline: Date.now() + 20_000 },
      (error, reply) => resolve(error ? { code: error.code, details: error.details } : { reply: reply! }),
    );
  });
}

async function rawReply(client: grpc.Client, method: string, body: Uint8Array): Promise<Buffer> {
  const r = await rawCall(client, method, body);
  if ('code' in r) assert.fail(`${method} failed: ${grpc.status[r.code]} ${r.details}`);
  return r.reply;
}

/** The field numbers present at the top level of a serialized message. */
function topLevelFields(bytes: Uint8Array): Set<number> {
  const reader = new BinaryReader(bytes);
  const fields = new Set<number>();
  while (reader.pos < bytes.length) {
    const [no, wireType] = reader.tag();
    fields.add(no);
    reader.skip(wireType, no);
  }
  return fields;
}

/** `bytes` with the first byte of the ASCII `marker` replaced by 0xFF: the message stays well-formed, the text not. */
function corrupt(bytes: Uint8Array, marker: string): Buffer {
  const out = Buffer.from(bytes);
  const at = out.indexOf(marker);
  assert.ok(at >= 0, `marker ${marker} not in the message`);
  out[at] = 0xff;
  return out;
}

describe('wire differences from Google’s server', () => {
  let t: TestServer;
  let raw: grpc.Client;
  let typeId: bigint;
  let executionTypeId: bigint;
  let contextTypeId: bigint;

  before(async () => {
    t = await startTestServer();
    raw = new grpc.Client(t.address, grpc.credentials.createInsecure());
    typeId = (await t.client.putArtifactType({ artifactType: { name: uniq('wire_a'), properties: { p: 1 } } })).typeId!;
    executionTypeId = (await t.client.putExecutionType({ executionType: { name: uniq('wire_x') } })).typeId!;
    contextTypeId = (await t.client.putContextType({ contextType: { name: uniq('wire_c') } })).typeId!;
  });
  after(async () => {
    raw.close();
    await t.stop();
  });

  it('next_page_token on the last page: unset for GetArtifacts/GetContexts, present and empty by type', async () => {
    const aType = (await t.client.putArtifactType({ artifactType: { name: uniq('paged_a') } })).typeId!;
    await t.client.putArtifacts({ artifacts: [1, 2, 3].map(() => ({ typeId: aType })) });
    await t.client.putExecutions({ executions: [1, 2, 3].map(() => ({ typeId: executionTypeId })) });
    await t.client.putContexts({ contexts: [1, 2, 3].map((i) => ({ typeId: contextTypeId, name: uniq(`c${i}`) })) });
    const executionType = (await t.client.getExecutionTypesById({ typeIds: [executionTypeId] })).executionTypes![0];
    const aTypeName = (await t.client.getArtifactTypesById({ typeIds: [aType] })).artifactTypes![0].name!;
    const TOKEN = 2; // next_page_token's field number in every list response
    const listings: Array<{ method: string; request: (token?: string) => Uint8Array; lastPage: 'unset' | 'empty' }> = [
      {
        method: 'GetArtifactsByType',
        request: (token) =>
          GetArtifactsByTypeRequest.encode({
            typeName: aTypeName,
            options: { maxResultSize: 2, nextPageToken: token },
          }).finish(),
        lastPage: 'empty',
      },
      {
        method: 'GetExecutionsByType',
        request: (token) =>
          GetExecutionsByTypeRequest.encode({
            typeName: executionType.name,
            options: { maxResultSize: 2, nextPageToken: token },
          }).finish(),
        lastPage: 'empty',
      },
      {
        method: 'GetArtifacts',
        request: (token) =>
          GetArtifactsRequest.encode({ options: { maxResultSize: 2, nextPageToken: token } }).finish(),
        lastPage: 'unset',
      },
      {
        method: 'GetContexts',
        request: (token) => GetContextsRequest.encode({ options: { maxResultSize: 2, nextPageToken: token } }).finish(),
        lastPage: 'unset',
      },
    ];
    for (const l of listings) {
      let token: string | undefined;
      let pages = 0;
      for (;;) {
        const reply = await rawReply(raw, `${SERVICE}/${l.method}`, l.request(token));
        pages += 1;
        token = undefined;
        const reader = new BinaryReader(reply);
        while (reader.pos < reply.length) {
          const [no, wireType] = reader.tag();
          if (no === TOKEN) token = reader.string();
          else reader.skip(wireType, no);
        }
        if (!token) break;
        assert.ok(pages < 100, `${l.method}: paging does not end`);
      }
      assert.equal(token, l.lastPage === 'empty' ? '' : undefined, `${l.method}: the last page's token`);
      assert.ok(pages >= 2, `${l.method} should take at least two pages`);
    }
    // A type that does not exist: no token either.
    const none = await rawReply(
      raw,
      `${SERVICE}/GetArtifactsByType`,
      GetArtifactsByTypeRequest.encode({ typeName: uniq('missing'), options: { maxResultSize: 2 } }).finish(),
    );
    assert.equal(topLevelFields(none).has(2), false);
  });

  it('GetLineageSubgraph starts from 101 nodes when more match the starting filter', async () => {
    const lineageType = (await t.client.putArtifactType({ artifactType: { name: uniq('lineage_start') } })).typeId!;
    const { artifactIds } = await t.client.putArtifacts({
      artifacts: Array.from({ length: 150 }, () => ({ typeId: lineageType })),
    });
    const graph = await t.client.getLineageSubgraph({
      lineageSubgraphQueryOptions: {
        startingNodes: { $case: 'startingArtifacts', value: { filterQuery: `type_id = ${lineageType}` } },
        maxNumHops: 0n,
      },
    });
    const ids = graph.lineageSubgraph!.artifacts!.map((a) => a.id!);
    assert.equal(ids.length, 101);
    assert.deepEqual(ids, artifactIds!.slice(0, 101), 'the lowest 101 ids');
    const exact = await t.client.getLineageSubgraph({
      lineageSubgraphQueryOptions: {
        startingNodes: {
          $case: 'startingArtifacts',
          value: { filterQuery: `type_id = ${lineageType} AND id <= ${artifactIds![99]}` },
        },
        maxNumHops: 0n,
      },
    });
    assert.equal(exact.lineageSubgraph!.artifacts!.length, 100, 'when 100 match, 100 start');
  });

  it('PutLineageSubgraph: a bad property answers INVALID_ARGUMENT even when a context would also conflict', async () => {
    const name = uniq('taken');
    await t.client.putContexts({ contexts: [{ typeId: contextTypeId, name }] });
    const request = {
      artifacts: [{ typeId, properties: { undeclared: { value: { $case: 'intValue' as const, value: 1n } } } }],
      contexts: [{ typeId: contextTypeId, name }],
      eventEdges: [],
    };
    await expectStatus(t.client.putLineageSubgraph(request), status.INVALID_ARGUMENT, /unknown property: undeclared/);
    // The context check on its own still answers as before.
    await expectStatus(t.client.putLineageSubgraph({ ...request, artifacts: [{ typeId }] }), status.ALREADY_EXISTS);
    // Properties of contexts are checked up front too.
    await expectStatus(
      t.client.putLineageSubgraph({
        contexts: [
          {
            typeId: contextTypeId,
            name: uniq('c'),
            properties: { nope: { value: { $case: 'stringValue', value: 'x' } } },
          },
        ],
      }),
      status.INVALID_ARGUMENT,
      /unknown property: nope/,
    );
  });

  it('invalid UTF-8 in a string field is INVALID_ARGUMENT naming the field, and nothing is stored', async () => {
    const name = uniq('badMARKER');
    const body = corrupt(PutContextsRequest.encode({ contexts: [{ typeId: contextTypeId, name }] }).finish(), 'MARKER');
    const r = await rawCall(raw, `${SERVICE}/PutContexts`, body);
    assert.ok('code' in r, 'the request must fail');
    assert.equal(grpc.status[r.code], 'INVALID_ARGUMENT');
    assert.match(r.details, /contexts\[0\]\.name is not valid UTF-8/);
    const stored = await t.client.getContexts({});
    assert.ok(!stored.contexts!.some((c) => c.name!.startsWith(name.slice(0, 3)) && c.name!.includes('ARKER')));

    // Nested and in maps: a property key and a string value; a repeated field's index is named.
    const property = PutArtifactsRequest.encode({
      artifacts: [
        { typeId },
        { typeId, customProperties: { kMARKER: { value: { $case: 'stringValue', value: 'v' } } } },
      ],
    }).finish();
    const keyed = await rawCall(raw, `${SERVICE}/PutArtifacts`, corrupt(property, 'MARKER'));
    assert.ok('code' in keyed && keyed.code === grpc.status.INVALID_ARGUMENT);
    assert.match(keyed.details, /artifacts\[1\]\.custom_properties \(a key\) is not valid UTF-8/);
    const value = PutArtifactsRequest.encode({
      artifacts: [{ typeId, customProperties: { k: { value: { $case: 'stringValue', value: 'vMARKER' } } } }],
    }).finish();
    const valued = await rawCall(raw, `${SERVICE}/PutArtifacts`, corrupt(value, 'MARKER'));
    assert.ok('code' in valued && valued.code === grpc.status.INVALID_ARGUMENT);
    assert.match(valued.details, /artifacts\[0\]\.custom_properties\["k"\]\.string_value is not valid UTF-8/);

    // A filter_query: upstream's words.
    const filter = GetArtifactsRequest.encode({ options: { filterQuery: 'name = "MARKER"' } }).finish();
    const filtered = await rawCall(raw, `${SERVICE}/GetArtifacts`, corrupt(filter, 'MARKER'));
    assert.ok('code' in filtered && filtered.code === grpc.status.INVALID_ARGUMENT);
    assert.match(filtered.details, /^Structurally invalid UTF8 string in options\.filter_query/);

    // Every hosted service: CMF too.
    const cmf = CreateExecutionRequest.encode({ pipelineName: 'pMARKER', stageName: 's', executionType: 't' }).finish();
    const c = await rawCall(raw, '/cmf.v1.CmfService/CreateExecution', corrupt(cmf, 'MARKER'));
    assert.ok('code' in c && c.code !== grpc.status.OK, 'CMF must refuse it too');

    // Valid multi-byte text is fine.
    const ok = await t.client.putContexts({ contexts: [{ typeId: contextTypeId, name: uniq('café ☃ 😀') }] });
    assert.equal(ok.contextIds!.length, 1);
  });

  it('gRPC-Web requests get the same check (one decoding for both protocols)', async () => {
    const db = await openDatabase({ kind: 'sqlite', filenameUri: ':memory:' });
    const server = await startServer({
      api: createMlmdApi(db),
      host: '127.0.0.1',
      port: 0,
      shutdownGraceMs: 2_000,
      http: { port: 0, routes: [] },
      onShutdown: () => db.close(),
    });
    try {
      const body = corrupt(
        GetArtifactsRequest.encode({ options: { filterQuery: 'name = "MARKER"' } }).finish(),
        'MARKER',
      );
      const reply = await grpcWebPost(`http://127.0.0.1:${server.httpPort}`, `${SERVICE}/GetArtifacts`, frame(body));
      assert.equal(reply.code, grpc.status.INVALID_ARGUMENT);
      assert.match(reply.details, /^Structurally invalid UTF8 string in options\.filter_query/);
    } finally {
      await server.shutdown();
    }
  });

  it('flags for a database that would not be used stop the server, naming what is missing', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const root = path.resolve(__dirname, '../..');
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--http_port=-1', ...args], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const pg = await run(['--grpc_port=65001', '--postgres_config_host=db', '--postgres_config_dbname=mlmd']);
    assert.equal(pg.code, 1);
    assert.match(
      pg.out,
      /--postgres_config_host, --postgres_config_dbname given without --metadata_source_config_type=postgresql/,
    );
    const mysql = await run(['--grpc_port=65001', '--mysql_config_host=db']);
    assert.equal(mysql.code, 1);
    assert.match(mysql.out, /--mysql_config_port and --mysql_config_database must be given/);
  });
});

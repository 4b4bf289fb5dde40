/**
 * Prometheus metrics of the built server, scraped after real calls over gRPC and HTTP: per-RPC counters and latency
 * histograms by service, method and status, in-flight calls, the HTTP listener's requests, the graph outbox's
 * backlog and lag (Neo4j unreachable, so the backlog grows), and the default process metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CmfClient, MlmdClient, MlmdClientError } from '../../src/client';
import { pipelineDocument } from '../helpers/cmf-interchange';
import { scrape, samples, value } from '../helpers/metrics';
import { freePort } from '../helpers/net';
import { BUILT_CLI, ensureBuilt, launch, logLines, type Launched } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

const MLMD = 'ml_metadata.MetadataStoreService';
const CMF = 'cmf.v1.CmfService';

describe('metrics', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-metrics-'));
  let server: Launched;
  let address: string;
  let httpPort: number;
  let metricsPort: number;

  before(async () => {
    ensureBuilt();
    const grpcPort = await freePort();
    [httpPort, metricsPort] = [await freePort(), await freePort()];
    server = launch(
      process.execPath,
      [
        BUILT_CLI,
        `--db=${path.join(tmp, 'm.db')}`,
        `--grpc_port=${grpcPort}`,
        `--http_port=${httpPort}`,
        `--metrics_port=${metricsPort}`,
        '--access_log',
        // Nothing listens there: the projection cannot drain, so its backlog is observable.
        `--neo4j_uri=bolt://127.0.0.1:${await freePort()}`,
      ],
      { env: { ...process.env, CMF_GRAPH_MIN_BACKOFF_MS: '50', CMF_GRAPH_MAX_BACKOFF_MS: '200' } },
    );
    await server.started();
    address = `127.0.0.1:${grpcPort}`;
  });

  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('scraped after real calls: RPC counters, histograms, in-flight, HTTP, graph backlog, process metrics', async () => {
    const mlmd = new MlmdClient(address);
    const cmf = new CmfClient(address);
    try {
      const { typeId } = await mlmd.putArtifactType({ artifactType: { name: 'Table' } });
      await mlmd.putArtifactType({ artifactType: { name: 'Weights' } });
      await mlmd.putArtifacts({
        artifacts: [
          { typeId, uri: 'gs://a' },
          { typeId, uri: 'gs://b' },
        ],
      });
      await assert.rejects(mlmd.getArtifactType({ typeName: 'missing' }), (e) => e instanceof MlmdClientError);
      await cmf.getPipelineNames({});
    } finally {
      mlmd.close();
      cmf.close();
    }
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
    // A gRPC-Web call (binary mode, an empty GetArtifactTypesRequest in one frame) reaches the same observed method.
    const grpcWeb = await fetch(`http://127.0.0.1:${httpPort}/${MLMD}/GetArtifactTypes`, {
      method: 'POST',
      headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
      body: new Uint8Array([0, 0, 0, 0, 0]),
    });
    assert.equal(grpcWeb.status, 200);
    await grpcWeb.arrayBuffer();
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/no-such-thing`)).status, 404);
    // The cmf-server API's push and pull (REST) call the same observed CmfService methods as gRPC.
    const rest = (route: string, body: unknown) =>
      fetch(`http://127.0.0.1:${httpPort}/api/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const { json: pushed } = pipelineDocument({ pipeline: 'rest', executions: 1, stages: 1 });
    const push = await rest('mlmd_push', { pipeline_name: 'rest', json_payload: pushed });
    assert.deepEqual([push.status, await push.json()], [200, { status: 'success' }]);
    const badPush = await rest('mlmd_push', { pipeline_name: 'rest', json_payload: '{"Pipeline": 1}' });
    assert.equal(badPush.status, 400);
    await badPush.arrayBuffer();
    const pull = await rest('mlmd_pull', { pipeline_name: 'rest' });
    assert.equal(pull.status, 200);
    assert.match(await pull.text(), /"name": "rest"/);

    // The graph worker reports its backlog after its first failed attempt.
    let text = '';
    await waitFor(
      'the graph backlog to be reported',
      async () => {
        text = await scrape(metricsPort);
        return (
          (value(text, 'cmf_mlmd_graph_failures') ?? 0) >= 1 && (value(text, 'cmf_mlmd_graph_outbox_rows') ?? 0) >= 1
        );
      },
      30_000,
    );

    const calls = (service: string, method: string, code: string) =>
      value(text, 'cmf_mlmd_rpc_requests_total', { service, method, code, protocol: 'grpc' });
    assert.equal(calls(MLMD, 'PutArtifactType', 'OK'), 2);
    assert.equal(calls(MLMD, 'PutArtifacts', 'OK'), 1);
    assert.equal(calls(MLMD, 'GetArtifactType', 'NOT_FOUND'), 1);
    assert.equal(calls(CMF, 'GetPipelineNames', 'OK'), 1);
    assert.equal(calls(MLMD, 'GetArtifacts', 'OK'), undefined, 'a method never called has no series');
    assert.equal(calls(MLMD, 'GetArtifactTypes', 'OK'), undefined, 'the gRPC-Web call is not counted as gRPC');
    const grpcWebCalls = { service: MLMD, method: 'GetArtifactTypes', code: 'OK', protocol: 'grpc-web' };
    assert.equal(value(text, 'cmf_mlmd_rpc_requests_total', grpcWebCalls), 1);
    assert.equal(value(text, 'cmf_mlmd_http_requests_total', { route: 'grpc-web', status: '200' }), 1);
    const restCalls = (method: string, code: string) =>
      value(text, 'cmf_mlmd_rpc_requests_total', { service: CMF, method, code, protocol: 'http' });
    assert.equal(restCalls('MergeMetadata', 'OK'), 1);
    assert.equal(restCalls('MergeMetadata', 'INVALID_ARGUMENT'), 1);
    assert.equal(restCalls('PullMetadata', 'OK'), 1);
    assert.equal(value(text, 'cmf_mlmd_http_requests_total', { route: 'cmf-server', status: '200' }), 2);

    const histogram = { service: MLMD, method: 'PutArtifactType', code: 'OK', protocol: 'grpc' };
    assert.equal(value(text, 'cmf_mlmd_rpc_duration_seconds_count', histogram), 2);
    assert.ok(value(text, 'cmf_mlmd_rpc_duration_seconds_sum', histogram)! > 0);
    const buckets = samples(text, 'cmf_mlmd_rpc_duration_seconds_bucket').filter(
      (s) => s.labels.method === 'PutArtifactType' && s.labels.code === 'OK',
    );
    assert.ok(buckets.length > 10);
    assert.equal(buckets.find((b) => b.labels.le === '+Inf')?.value, 2);

    assert.equal(value(text, 'cmf_mlmd_rpc_in_flight', { service: MLMD, method: 'PutArtifactType' }), 0);
    assert.equal(value(text, 'cmf_mlmd_http_requests_total', { route: 'healthz', status: '200' }), 1);
    assert.equal(value(text, 'cmf_mlmd_http_requests_total', { route: 'none', status: '404' }), 1);
    assert.ok(value(text, 'cmf_mlmd_graph_outbox_lag_seconds')! > 0);
    assert.equal(value(text, 'cmf_mlmd_build_info')!, 1);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ])
      assert.ok(value(text, name) !== undefined, `${name} missing`);
    // SQLite has no pool: no pool series.
    assert.deepEqual(samples(text, 'cmf_mlmd_db_pool_connections'), []);

    // The access log has one line per call.
    const access = logLines(server.stderr()).filter((l) => l.access === 'rpc');
    assert.deepEqual(
      access.map((l) => `${l.method} ${l.code}`),
      [
        'PutArtifactType OK',
        'PutArtifactType OK',
        'PutArtifacts OK',
        'GetArtifactType NOT_FOUND',
        'GetPipelineNames OK',
        'GetArtifactTypes OK',
        'MergeMetadata OK',
        'MergeMetadata INVALID_ARGUMENT',
        'PullMetadata OK',
      ],
    );
    const restLine = access.find((l) => l.method === 'MergeMetadata');
    assert.equal(restLine?.protocol, 'http');
    assert.match(String(restLine?.peer), /^(::ffff:)?127\.0\.0\.1:[0-9]+$/);
  });
});

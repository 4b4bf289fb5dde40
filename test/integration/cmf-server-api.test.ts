/**
 * The cmf-server API on the HTTP listener (push = merge, pull, views, files, federation) and the same merge over
 * gRPC, against a real server on the test backend (SQLite; PostgreSQL with MLMD_TEST_BACKEND=postgres).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { normalised, pipelineDocument } from '../helpers/cmf-interchange';
import { expectStatus, status } from '../helpers/mlmd';
import { postJson, startCmfHttpServer, upload, type CmfServerUnderTest } from './cmf-server-harness';

/** Everything the store holds, for "nothing changed" assertions. */
async function snapshot(t: CmfServerUnderTest): Promise<string> {
  const [a, x, c, e] = await Promise.all([
    t.mlmd.getArtifacts({}),
    t.mlmd.getExecutions({}),
    t.mlmd.getContexts({}),
    t.mlmd
      .getExecutions({})
      .then(async (r) =>
        (r.executions ?? []).length === 0
          ? []
          : ((await t.mlmd.getEventsByExecutionIDs({ executionIds: r.executions!.map((y) => y.id!) })).events ?? []),
      ),
  ]);
  return JSON.stringify([a.artifacts, x.executions, c.contexts, e], (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

const push = (t: CmfServerUnderTest, body: unknown) => postJson(`${t.url}/api/mlmd_push`, body);
const pull = (t: CmfServerUnderTest, body: unknown) => postJson(`${t.url}/api/mlmd_pull`, body);

describe('cmf-server API: push and pull', () => {
  let t: CmfServerUnderTest;
  before(async () => {
    t = await startCmfHttpServer();
  });
  after(async () => t.stop());

  it('merges a pushed pipeline with cmf-server records, answers "exists" to the same push, and pulls it back', async () => {
    const { json, uuids } = pipelineDocument({ pipeline: 'p1', executions: 12, allTypes: true });
    const first = await push(t, { pipeline_name: 'p1', exec_uuid: null, json_payload: json });
    assert.deepEqual([first.status, first.body], [200, { status: 'success' }]);

    // cmf-server's records: executions typed by their stage, this store's ids, Git_End_Commit empty, the push time.
    const { executions } = await t.mlmd.getExecutions({});
    assert.equal(executions!.length, 12);
    const x0 = executions!.find((x) => x.properties!.Execution_uuid.value!.value === uuids[0])!;
    assert.equal(x0.type, 'p1/stage-0');
    assert.equal(x0.properties!.Context_Type.value!.value, 'p1/stage-0');
    assert.equal(x0.properties!.Git_End_Commit.value!.value, '');
    assert.ok(x0.customProperties!.original_create_time_since_epoch);
    const { artifacts } = await t.mlmd.getArtifacts({});
    // 12 x (dataset, model, metrics, dataslice, step metrics, label) + the raw dataset + one shared environment.
    assert.equal(artifacts!.length, 12 * 6 + 2);
    const model = artifacts!.find((a) => a.type === 'Model' && a.name!.startsWith('models/m-0.pkl'))!;
    assert.match(model.name!, new RegExp(`:${x0.id}$`), "a Model is named with this store's execution id");

    const before = await snapshot(t);
    const again = await push(t, { pipeline_name: 'p1', exec_uuid: null, json_payload: json });
    assert.deepEqual([again.status, again.body], [200, { status: 'exists' }]);
    assert.equal(await snapshot(t), before, 'a second identical push changes nothing');

    const pulled = await pull(t, { pipeline_name: 'p1', exec_uuid: null });
    assert.equal(pulled.status, 200);
    const exported = (await t.cmf.exportMetadata({ pipelineName: 'p1' })).json!;
    assert.equal(pulled.text, exported, 'the pull answers the export');
    // Pushing the pulled document into a second store answers "success" and that store exports the same document.
    const other = await startCmfHttpServer();
    try {
      assert.deepEqual((await push(other, { pipeline_name: 'p1', json_payload: pulled.text })).body, {
        status: 'success',
      });
      const again2 = (await pull(other, { pipeline_name: 'p1' })).text;
      assert.deepEqual(normalised(again2, true), normalised(pulled.text, true));
    } finally {
      await other.stop();
    }
  });

  it('pushes one execution with exec_uuid, and pulls one execution', async () => {
    const { json, uuids } = pipelineDocument({ pipeline: 'p2', executions: 4 });
    const r = await push(t, { pipeline_name: 'p2', exec_uuid: uuids[2], json_payload: json });
    assert.deepEqual(r.body, { status: 'success' });
    const pulled = JSON.parse((await pull(t, { pipeline_name: 'p2', exec_uuid: uuids[2] })).text);
    const executions = pulled.Pipeline[0].stages.flatMap((s: { executions: unknown[] }) => s.executions);
    assert.deepEqual(
      executions.map((x: { properties: { Execution_uuid: string } }) => x.properties.Execution_uuid),
      [uuids[2]],
    );
    // The rest arrives with the next whole push; the one already there is not duplicated.
    assert.deepEqual((await push(t, { pipeline_name: 'p2', json_payload: json })).body, { status: 'success' });
    const all = JSON.parse((await pull(t, { pipeline_name: 'p2' })).text);
    assert.equal(all.Pipeline[0].stages.flatMap((s: { executions: unknown[] }) => s.executions).length, 4);
    assert.equal((await pull(t, { pipeline_name: 'p2', exec_uuid: 'no-such-uuid' })).text, 'no_exec_uuid');
    assert.equal((await pull(t, { pipeline_name: 'nope' })).status, 404);
    // The same pull over gRPC: the route only decodes and encodes CmfService.PullMetadata.
    const none = await t.cmf.pullMetadata({ pipelineName: 'p2', execUuid: 'no-such-uuid' });
    assert.deepEqual([none.json, none.noExecUuid], ['', true]);
    const one = await t.cmf.pullMetadata({ pipelineName: 'p2', execUuid: uuids[2] });
    assert.equal(one.json, (await pull(t, { pipeline_name: 'p2', exec_uuid: uuids[2] })).text);
    await expectStatus(t.cmf.pullMetadata({ pipelineName: 'nope' }), status.NOT_FOUND, /^Pipeline nope not found\.$/);
  });

  it('answers version_update (422) to a payload from a cmflib without Execution_uuid, and pipeline_not_exist', async () => {
    const { doc } = pipelineDocument({ pipeline: 'old', executions: 2 });
    const x = (doc.Pipeline[0] as { stages: Array<{ executions: Array<{ properties: Record<string, unknown> }> }> })
      .stages[0].executions[0];
    delete x.properties.Execution_uuid;
    const before = await snapshot(t);
    const r = await push(t, { pipeline_name: 'old', json_payload: JSON.stringify(doc) });
    assert.equal(r.status, 422);
    assert.equal((r.body as { status: string }).status, 'version_update');
    const other = await push(t, {
      pipeline_name: 'absent',
      json_payload: pipelineDocument({ pipeline: 'x', executions: 1 }).json,
    });
    assert.deepEqual([other.status, other.body], [200, { status: 'pipeline_not_exist' }]);
    assert.equal(await snapshot(t), before);
  });

  it('refuses hostile payloads with a 4xx naming the problem, writing nothing', async () => {
    const { json } = pipelineDocument({ pipeline: 'bad', executions: 3 });
    const before = await snapshot(t);
    const wrongType = JSON.parse(json);
    wrongType.Pipeline[0].stages[1].executions[0].properties.Context_Type = 7;
    const badEvent = JSON.parse(json);
    badEvent.Pipeline[0].stages[0].executions[0].events[1].type = 'input';
    const deep = `{"Pipeline": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const cases: Array<[unknown, number, RegExp]> = [
      [{ pipeline_name: 'bad', json_payload: json.slice(0, json.length / 2) }, 400, /not valid JSON/],
      [
        { pipeline_name: 'bad', json_payload: JSON.stringify(wrongType) },
        400,
        /stages\[1\]\.executions\[0\]\.properties\.Context_Type/,
      ],
      [{ pipeline_name: 'bad', json_payload: JSON.stringify(badEvent) }, 400, /events\[1\]\.type/],
      [{ pipeline_name: 'bad', json_payload: '{"Pipeline": []}' }, 400, /invalid_json_payload/],
      [{ pipeline_name: 'bad', json_payload: deep }, 400, /nesting deeper/],
      [{ pipeline_name: 'bad', json_payload: 42 }, 422, /json_payload/],
      [{ pipeline_name: '  ', json_payload: json }, 422, /pipeline_name/],
      ['{"pipeline_name": "bad", "json_pay', 422, /not valid JSON/],
    ];
    for (const [body, code, message] of cases) {
      const r = await push(t, body);
      assert.equal(r.status, code, JSON.stringify(r.body));
      assert.match((r.body as { detail: string }).detail, message);
    }
    // 50 MB of garbage inside a valid request: refused quickly, and the server keeps serving.
    const garbage = await push(t, {
      pipeline_name: 'bad',
      json_payload: `{"Pipeline": [${'x'.repeat(50 * 1024 * 1024)}`,
    });
    assert.equal(garbage.status, 400);
    assert.equal(await snapshot(t), before);
    assert.equal((await fetch(`${t.url}/api/pipelines`)).status, 200);
  });

  it('ends with one copy when several clients push the same pipeline at once', async () => {
    const { json } = pipelineDocument({ pipeline: 'race', executions: 30 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => push(t, { pipeline_name: 'race', json_payload: json })),
    );
    const statuses = answers.map((a) => (a.body as { status: string }).status).sort();
    assert.deepEqual(statuses, ['exists', 'exists', 'exists', 'exists', 'exists', 'success']);
    const exported = JSON.parse((await t.cmf.exportMetadata({ pipelineName: 'race' })).json!);
    assert.equal(exported.Pipeline[0].stages.flatMap((s: { executions: unknown[] }) => s.executions).length, 30);
  });

  it('merges the same JSON through gRPC CmfService.MergeMetadata', async () => {
    const { json } = pipelineDocument({ pipeline: 'grpc', executions: 5 });
    const r = await t.cmf.mergeMetadata({ json, pipelineName: 'grpc' });
    assert.equal(r.status, 'success');
    assert.equal(r.executionsAdded, 5n);
    assert.equal(r.artifactsAdded, 5n * 3n + 2n);
    assert.equal((await t.cmf.mergeMetadata({ json, pipelineName: 'grpc' })).status, 'exists');
    await expectStatus(t.cmf.mergeMetadata({ json: '{"Pipeline": [}' }), status.INVALID_ARGUMENT, /not valid JSON/);
    // Without a pipeline name every pipeline of the document is merged (as a sync does).
    const a = pipelineDocument({ pipeline: 'multi-a', executions: 1 }).doc;
    const b = pipelineDocument({ pipeline: 'multi-b', executions: 1 }).doc;
    const both = JSON.stringify({ Pipeline: [...a.Pipeline, ...b.Pipeline] });
    assert.deepEqual((await t.cmf.mergeMetadata({ json: both })).pipelines, ['multi-a', 'multi-b']);
  });
});

describe('cmf-server API: views, files and federation', () => {
  let t: CmfServerUnderTest;
  before(async () => {
    t = await startCmfHttpServer();
    const { json } = pipelineDocument({ pipeline: 'views', executions: 6, allTypes: true });
    await push(t, { pipeline_name: 'views', json_payload: json });
  });
  after(async () => t.stop());

  // The views' JSON is checked field by field below; `any` keeps those checks readable.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const get = async (p: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${t.url}${p}`);
    return { status: res.status, body: await res.json() };
  };

  it('serves the UI reads: pipelines, executions and artifacts pages, types, lineage, model card', async () => {
    assert.deepEqual((await get('/api/pipelines')).body, ['views']);
    assert.deepEqual(((await get('/api/artifact_types')).body as string[]).sort(), [
      'Dataset',
      'Dataslice',
      'Label',
      'Metrics',
      'Model',
      'Step_Metrics',
    ]);
    const page = (await get('/api/executions/views?active_page=2&record_per_page=4')).body;
    assert.equal(page.total_items, 6);
    assert.equal(page.items.length, 2);
    assert.ok(page.items[0].execution_properties.some((p: { name: string }) => p.name === 'Execution_uuid'));
    const models = (await get('/api/artifacts/views/Model?record_per_page=10&sort_order=desc')).body;
    assert.equal(models.total_items, 6);
    assert.deepEqual(
      models.items.map((m: { name: string }) => m.name),
      [...models.items.map((m: { name: string }) => m.name)].sort().reverse(),
    );
    assert.match(models.items[0].create_time_since_epoch, /GMT$/);
    // `execution`: the stages of the executions that touched the artifact (one set-based read of their contexts).
    for (const m of models.items) assert.match(m.execution, /^views\/stage-[0-9]+$/);
    const datasets = (await get('/api/artifacts/views/Dataset?record_per_page=100')).body;
    assert.ok(
      datasets.items.some((d: { execution: string }) => /^views\/stage-[0-9]+, views\/stage-[0-9]+$/.test(d.execution)),
      'a dataset written by one stage and read by the next names both',
    );
    const lineage = (await get('/api/artifact-lineage/tangled-tree/views')).body as Array<Array<{ id: string }>>;
    assert.ok(lineage.flat().some((n) => n.id.startsWith('raw:')));
    assert.ok((await get('/api/artifact-execution-lineage/tangled-tree/views')).body.length > 0);
    const executions = (await get('/api/list-of-executions/views')).body as string[];
    assert.equal(executions.length, 6);
    const chain = (await get(`/api/execution-lineage/tangled-tree/${executions[5].split('_').pop()}/views`)).body;
    assert.equal(chain.flat().length, 6, "each execution reads the previous one's output");
    const modelId = models.items[0].artifact_id;
    const card = (await get(`/api/model-card?modelId=${modelId}`)).body;
    assert.equal(card[0][0].id, modelId);
    assert.equal(card[1].length, 1);
    assert.equal((await get('/api/executions/nope')).status, 404);
    assert.equal((await get('/api/model-card?modelId=x')).status, 422);
    assert.equal((await get('/api/artifacts/views/Model?sort_field=drop')).status, 400);
  });

  it('stores, lists and serves uploaded files under safe names only', async () => {
    assert.equal(
      (await upload(`${t.url}/api/python-env`, 'cmf_artifacts/python_env_abc.txt', 'numpy==2\n')).status,
      200,
    );
    assert.equal((await upload(`${t.url}/api/label`, '0123456789abcdef0123456789abcdef', 'id,label\n')).status, 200);
    const again = await upload(`${t.url}/api/label`, '0123456789abcdef0123456789abcdef', 'other');
    assert.match((again.body as { message: string }).message, /already exists/);
    assert.equal((await upload(`${t.url}/api/tensorboard?pipeline_name=views`, 'run1/events.out', 'tb')).status, 200);
    assert.equal(
      fs.readFileSync(path.join(t.dataDir, 'tensorboard-logs', 'views', 'run1', 'events.out'), 'utf8'),
      'tb',
    );

    const text = await fetch(`${t.url}/api/python-env?file_name=python_env_abc.txt`);
    assert.equal(await text.text(), 'numpy==2\n');
    assert.equal((await fetch(`${t.url}/api/label-data?file_name=0123456789abcdef0123456789abcdef`)).status, 200);
    assert.equal((await fetch(`${t.url}/api/python-env?file_name=x.sh`)).status, 400);
    assert.equal((await fetch(`${t.url}/api/python-env?file_name=missing.txt`)).status, 404);
    const zip = await fetch(`${t.url}/api/download-python-env`);
    assert.equal(zip.headers.get('content-type'), 'application/zip');
    assert.equal(Buffer.from(await zip.arrayBuffer()).readUInt32LE(0), 0x04034b50);

    for (const [url, name] of [
      [`${t.url}/api/tensorboard?pipeline_name=views`, '../../escape'],
      [`${t.url}/api/tensorboard?pipeline_name=views`, '/etc/passwd'],
      [`${t.url}/api/tensorboard?pipeline_name=..`, 'x'],
      [`${t.url}/api/tensorboard?pipeline_name=views`, 'a/\u0000/b'],
      [`${t.url}/api/python-env`, '..'],
      [`${t.url}/api/label`, 'a\\..\\b'],
    ]) {
      const r = await upload(url, name, 'x');
      assert.equal(r.status, 400, `${url} ${JSON.stringify(name)}: ${JSON.stringify(r.body)}`);
    }
    // Only the last segment of a name is ever looked up (as cmf-server): the store file is out of reach.
    assert.equal((await fetch(`${t.url}/api/label-data?file_name=..%2F..%2Fmlmd`)).status, 404);
    assert.equal((await fetch(`${t.url}/api/download-python-env?list_of_files=../mlmd`)).status, 400);
    assert.ok(!fs.existsSync(path.join(t.dataDir, '..', 'escape')));
  });

  it('registers a peer, lists it, and syncs from it in full and then incrementally', async () => {
    const peer = await startCmfHttpServer();
    try {
      const first = pipelineDocument({ pipeline: 'remote', executions: 3, startMillis: 1_600_000_000_000 });
      await push(peer, { pipeline_name: 'remote', json_payload: first.json });
      await upload(`${peer.url}/api/python-env`, 'python_env_peer.txt', 'pandas\n');

      const self = await postJson(`${t.url}/api/register-server`, { server_name: 'me', server_url: t.url });
      assert.match((self.body as { message: string }).message, /own details/);
      const bad = await postJson(`${t.url}/api/register-server`, {
        server_name: 'x',
        server_url: 'file:///etc/passwd',
      });
      assert.equal(bad.status, 400);
      const down = await postJson(`${t.url}/api/register-server`, {
        server_name: 'x',
        server_url: 'http://127.0.0.1:9',
      });
      assert.equal(down.status, 502);

      const reg = await postJson(`${t.url}/api/register-server`, { server_name: 'peer', server_url: peer.url });
      assert.deepEqual(reg.body, { message: 'Server registered successfully' });
      const list = (await postJson(`${t.url}/api/register-server`, { server_name: 'peer', server_url: peer.url })).body;
      assert.deepEqual(list, { message: 'Server is already registered' });
      const servers = (await get('/api/server-list')).body;
      assert.deepEqual(
        servers.map((s: { server_name: string; host_info: string }) => [s.server_name, s.host_info]),
        [['peer', peer.url]],
      );

      const sync1 = await postJson(`${t.url}/api/sync`, { server_name: 'peer', server_url: peer.url });
      assert.equal(sync1.status, 200, JSON.stringify(sync1.body));
      assert.equal((sync1.body as { status: string }).status, 'success');
      assert.deepEqual(
        normalised((await pull(t, { pipeline_name: 'remote' })).text, true),
        normalised((await pull(peer, { pipeline_name: 'remote' })).text, true),
      );
      assert.ok(fs.existsSync(path.join(t.dataDir, 'env', 'python_env_peer.txt')), "the peer's env files came too");

      // A new execution on the peer arrives with the next sync; nothing else is pulled again.
      const more = pipelineDocument({ pipeline: 'remote', executions: 1, startMillis: 1_600_000_100_000 });
      await push(peer, { pipeline_name: 'remote', json_payload: more.json });
      const sync2 = await postJson(`${t.url}/api/sync`, { server_name: 'peer', server_url: peer.url });
      assert.equal((sync2.body as { status: string }).status, 'success');
      const executions = JSON.parse((await pull(t, { pipeline_name: 'remote' })).text).Pipeline[0].stages.flatMap(
        (s: { executions: unknown[] }) => s.executions,
      );
      assert.equal(executions.length, 4);
      const sync3 = await postJson(`${t.url}/api/sync`, { server_name: 'peer', server_url: peer.url });
      assert.equal((sync3.body as { message: string }).message, 'Nothing to sync', JSON.stringify(sync3.body));
      assert.equal((await postJson(`${t.url}/api/sync`, { server_name: 'nobody', server_url: peer.url })).status, 404);
    } finally {
      await peer.stop();
    }
  });

  it('answers 405 for a wrong method, 413 over the body limit, and leaves the bare root to others', async () => {
    assert.equal((await fetch(`${t.url}/api/mlmd_push`)).status, 405);
    assert.equal((await fetch(`${t.url}/`)).status, 404);
    assert.deepEqual(await (await fetch(`${t.url}/api/`)).json(), ['cmf-server']);
    assert.deepEqual((await postJson(`${t.url}/mlmd_pull`, { pipeline_name: 'views' })).status, 200);
    const small = await startCmfHttpServer({ maxMessageBytes: 1024 * 1024 });
    try {
      const r = await push(small, { pipeline_name: 'big', json_payload: 'x'.repeat(2 * 1024 * 1024) });
      assert.equal(r.status, 413);
      assert.equal((await fetch(`${small.url}/api/pipelines`)).status, 200);
    } finally {
      await small.stop();
    }
  });
});

/**
 * CmfService queries (CmfQuery's public methods) through real gRPC on a small three-stage pipeline:
 * prepare: raw -> split; train: split -> model; evaluate: model -> metrics.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { expectStatus, status } from '../helpers/mlmd';
import { d, H1, H2, H3, remote, startCmfServer, type CmfTestServer } from './cmf-harness';

describe('CmfService queries', () => {
  let t: CmfTestServer;
  const ids: Record<string, bigint> = {};
  let metricsName = '';
  before(async () => {
    t = await startCmfServer();
    await t.cmf.createPipeline({ pipelineName: 'Pipe' });
    await t.cmf.createPipeline({ pipelineName: 'Other' });
    const x1 = (await t.cmf.createExecution({ pipelineName: 'Pipe', stageName: 'prepare', executionType: 'Prepare' }))
      .execution!;
    await t.cmf.logDataset({
      executionId: x1.id,
      file: { path: 'raw.csv', hash: H1, remoteUrl: remote(H1) },
      event: 'input',
    });
    await t.cmf.logDataset({
      executionId: x1.id,
      file: { path: 'split', hash: `${H2}.dir`, remoteUrl: remote(`${H2}.dir`) },
      event: 'output',
    });
    const x2 = (await t.cmf.createExecution({ pipelineName: 'Pipe', stageName: 'train', executionType: 'Train' }))
      .execution!;
    await t.cmf.logDataset({
      executionId: x2.id,
      file: { path: 'split', hash: `${H2}.dir`, remoteUrl: remote(`${H2}.dir`) },
      event: 'input',
    });
    await t.cmf.logModel({
      executionId: x2.id,
      file: { path: 'model.pkl', hash: H3, remoteUrl: remote(H3) },
      event: 'output',
    });
    const x3 = (await t.cmf.createExecution({ pipelineName: 'Pipe', stageName: 'evaluate', executionType: 'Evaluate' }))
      .execution!;
    await t.cmf.logModel({
      executionId: x3.id,
      file: { path: 'model.pkl', hash: H3, remoteUrl: remote(H3) },
      event: 'input',
    });
    metricsName = (
      await t.cmf.logExecutionMetrics({ executionId: x3.id, metricsName: 'm', customProperties: { auc: d(0.5) } })
    ).artifact!.name!;
    Object.assign(ids, { x1: x1.id, x2: x2.id, x3: x3.id });
  });
  after(async () => t.stop());

  const RAW = `raw.csv:${H1}`;
  const SPLIT = `split:${H2}.dir`;
  const MODEL = () => `model.pkl:${H3}:${ids.x2}`;

  it('pipeline names and stages', async () => {
    assert.deepEqual((await t.cmf.getPipelineNames({})).names, ['Pipe', 'Other']);
    const r = await t.cmf.getPipelineStages({ pipelineName: 'Pipe' });
    assert.deepEqual(r.stageNames, ['Pipe/prepare', 'Pipe/train', 'Pipe/evaluate']);
    assert.deepEqual((await t.cmf.getPipelineStages({ pipelineName: 'Other' })).stageNames, []);
    await expectStatus(t.cmf.getPipelineStages({ pipelineName: 'none' }), status.NOT_FOUND);
  });

  it('executions in a stage, paged', async () => {
    await t.cmf.createExecution({ pipelineName: 'Pipe', stageName: 'train', executionType: 'Train' });
    const all = await t.cmf.getExecutionsInStage({ stageName: 'Pipe/train' });
    assert.equal(all.executions.length, 2);
    assert.equal(all.executions[0].id, ids.x2);
    const p1 = await t.cmf.getExecutionsInStage({ stageName: 'Pipe/train', page: { pageSize: 1 } });
    assert.equal(p1.executions.length, 1);
    assert.notEqual(p1.nextPageToken, '');
    const p2 = await t.cmf.getExecutionsInStage({
      stageName: 'Pipe/train',
      page: { pageSize: 1, pageToken: p1.nextPageToken },
    });
    assert.equal(p2.executions.length, 1);
    assert.equal(p2.nextPageToken, '');
    assert.notEqual(p2.executions[0].id, p1.executions[0].id);
    await expectStatus(
      t.cmf.getExecutionsInStage({ stageName: 'Pipe/train', page: { pageSize: 1, pageToken: 'garbage' } }),
      status.INVALID_ARGUMENT,
    );
    await expectStatus(t.cmf.getExecutionsInStage({ stageName: 'Pipe/none' }), status.NOT_FOUND);
  });

  it('artifacts of an execution with their event; executions of an artifact with stage and pipeline', async () => {
    const r = await t.cmf.getArtifactsOfExecution({ executionId: ids.x2 });
    assert.deepEqual(
      r.artifacts.map((a) => [a.artifact!.type, a.artifact!.name, a.event]),
      [
        ['Dataset', SPLIT, 'INPUT'],
        ['Model', MODEL(), 'OUTPUT'],
      ],
    );
    const e = await t.cmf.getExecutionsOfArtifact({ artifactName: SPLIT });
    assert.deepEqual(
      e.executions.map((x) => [x.event, x.execution!.id, x.executionTypeName, x.stage, x.pipeline]),
      [
        ['OUTPUT', ids.x1, 'Pipe/prepare', 'Pipe/prepare', 'Pipe'],
        ['INPUT', ids.x2, 'Pipe/train', 'Pipe/train', 'Pipe'],
      ],
    );
    await expectStatus(t.cmf.getArtifactsOfExecution({ executionId: 424242n }), status.NOT_FOUND);
  });

  it('artifact by name', async () => {
    const a = await t.cmf.getArtifactByName({ artifactName: MODEL() });
    assert.equal(a.artifact!.type, 'Model');
    await expectStatus(t.cmf.getArtifactByName({ artifactName: 'model.pkl' }), status.NOT_FOUND);
  });

  it('parent and child artifacts, one hop and transitive', async () => {
    const names = (r: { artifacts: Array<{ name?: string }> }) => r.artifacts.map((a) => a.name);
    assert.deepEqual(names(await t.cmf.getChildArtifacts({ artifactName: RAW })), [SPLIT]);
    assert.deepEqual(names(await t.cmf.getChildArtifacts({ artifactName: RAW, transitive: true })), [
      SPLIT,
      MODEL(),
      metricsName,
    ]);
    assert.deepEqual(names(await t.cmf.getParentArtifacts({ artifactName: metricsName })), [MODEL()]);
    // the Environment artifacts are inputs too (as in CmfQuery); keep only the data lineage here
    const all = names(await t.cmf.getParentArtifacts({ artifactName: metricsName, transitive: true }));
    assert.ok([RAW, SPLIT, MODEL()].every((n) => all.includes(n)));
    const paged = await t.cmf.getChildArtifacts({ artifactName: RAW, transitive: true, page: { pageSize: 2 } });
    assert.equal(paged.artifacts.length, 2);
    const pipeId = (await t.cmf.createPipeline({ pipelineName: 'Other' })).pipeline!.id;
    assert.deepEqual(names(await t.cmf.getChildArtifacts({ artifactName: RAW, pipelineId: pipeId })), []);
  });

  it('parent and child executions', async () => {
    const xs = (r: { executions: Array<{ id?: bigint }> }) => r.executions.map((x) => x.id);
    assert.deepEqual(xs(await t.cmf.getParentExecutions({ artifactName: MODEL() })), [ids.x2]);
    assert.deepEqual(xs(await t.cmf.getParentExecutions({ artifactName: MODEL(), transitive: true })), [ids.x1]);
    assert.deepEqual(xs(await t.cmf.getChildExecutions({ artifactName: SPLIT })), [ids.x2]);
    assert.deepEqual(xs(await t.cmf.getChildExecutions({ artifactName: RAW, transitive: true })), [
      ids.x1,
      ids.x2,
      ids.x3,
    ]);
  });

  it('dumptojson: the interchange JSON', async () => {
    const json = (await t.cmf.dumpToJson({ pipelineName: 'Pipe' })).json!;
    assert.ok(
      json.startsWith(
        '{"Pipeline": [{"stages": [{"executions": [{"type": "Prepare", "name": "", "events": [{"type": 3, "artifact": {"type": "Dataset", "create_time_since_epoch": ',
      ),
    );
    const doc = JSON.parse(json);
    const pipe = doc.Pipeline[0];
    assert.equal(pipe.name, 'Pipe');
    assert.deepEqual(pipe.properties, { Pipeline: 'Pipe' });
    assert.deepEqual(
      pipe.stages.map((s: { name: string }) => s.name),
      ['Pipe/prepare', 'Pipe/train', 'Pipe/evaluate'],
    );
    const evaluate = pipe.stages[2].executions[0];
    assert.equal(evaluate.type, 'Evaluate');
    const metrics = evaluate.events.find((e: { artifact: { type: string } }) => e.artifact.type === 'Metrics');
    assert.equal(metrics.type, 4);
    assert.match(json, /"auc": 0\.5/);
    const uuid = evaluate.properties.Execution_uuid;
    const one = JSON.parse((await t.cmf.dumpToJson({ pipelineName: 'Pipe', execUuid: uuid })).json!);
    assert.deepEqual(
      one.Pipeline[0].stages.map((s: { executions: unknown[] }) => s.executions.length),
      [0, 0, 1],
    );
    await expectStatus(t.cmf.dumpToJson({ pipelineName: 'none' }), status.NOT_FOUND);
  });
});

/**
 * The TypeScript CMF SDK (`Cmf`) through real gRPC: a small pipeline in a temp project directory, the records it
 * leaves, the files it writes (environment file, step-metrics and dataslice Parquet at cmflib's paths) and its errors.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Cmf, PyFloat } from '../../src/client';
import { pyListRepr } from '../../src/python-text';
import { props, startCmfServer, v, type CmfTestServer } from './cmf-harness';

const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');

describe('Cmf SDK', () => {
  let t: CmfTestServer;
  let root: string;
  let cmf: Cmf;
  before(async () => {
    t = await startCmfServer();
    root = path.join(t.dir, 'project');
    fs.mkdirSync(path.join(root, 'data', 'raw'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data', 'raw', '1.xml'), '<a/>');
    fs.writeFileSync(path.join(root, 'data', 'raw', '2.xml'), '<b/>');
    fs.writeFileSync(path.join(root, 'data', 'labels.csv'), 'id,label\n1,0\n');
    fs.mkdirSync(path.join(root, 'model'));
    fs.writeFileSync(path.join(root, 'model', 'rf.pkl'), 'model bytes');
    cmf = await Cmf.create({
      client: t.cmf,
      pipelineName: 'sdk-pipe',
      root,
      gitRepo: 'git@example.com:repo.git',
      gitCommit: () => 'c0ffee',
      dvcRemote: '/remote',
      environment: ['numpy==1.0', "odd'name==2"],
      command: "['train.ts']",
    });
  });
  after(async () => t.stop());

  it("createContext + createExecution: environment file at cmflib's name, Python_Env, git fields", async () => {
    await cmf.createContext('train', { gpu: true });
    const x = await cmf.createExecution('Train', {
      lr: 0.01,
      epochs: 3,
      tag: 'x',
      list: [1, 'a'],
      whole: new PyFloat(2),
    });
    const envMd5 = md5(`${pyListRepr(['numpy==1.0', "odd'name==2"])}\n`);
    const envRel = `cmf_artifacts/python_env_${envMd5}.txt`;
    assert.equal(fs.readFileSync(path.join(root, envRel), 'utf8'), "numpy==1.0\nodd'name==2\n");
    assert.deepEqual(props(x.customProperties), {
      lr: '0.01',
      epochs: 3n,
      tag: 'x',
      list: "[1, 'a']",
      whole: '2.0',
      Python_Env: envRel,
    });
    assert.equal(v(x.properties!.Git_Repo), 'git@example.com:repo.git');
    assert.equal(v(x.properties!.Git_Start_Commit), 'c0ffee');
    assert.equal(v(x.properties!.Execution), "['train.ts']");
    const stage = (await t.mlmd.getContextsByExecution({ executionId: x.id })).contexts[0];
    assert.deepEqual(props(stage.customProperties), { gpu: 1n });
  });

  it('logDataset (directory and file, with label), logModel, metrics, dataslice', async () => {
    const ds = await cmf.logDataset(
      'data/raw',
      'input',
      { source: 'web' },
      { label: 'data/labels.csv', labelProperties: { by: 'me' } },
    );
    assert.match(ds.name!, /^data\/raw:[0-9a-f]{32}\.dir$/);
    assert.equal(v(ds.properties!.url), `sdk-pipe:/remote/files/md5/${ds.uri!.slice(0, 2)}/${ds.uri!.slice(2)}`);
    const labelMd5 = md5('id,label\n1,0\n');
    assert.equal(v(ds.customProperties!.labels_uri), undefined, 'the returned dataset is the one before the label');
    const reread = (await t.mlmd.getArtifactsById({ artifactIds: [ds.id!] })).artifacts[0];
    assert.equal(v(reread.customProperties!.labels_uri), `data/labels.csv:${labelMd5}`);

    const model = await cmf.logModel('model/rf.pkl', 'output', {
      modelFramework: 'sklearn',
      customProperties: { depth: 4 },
    });
    assert.equal(model.name, `model/rf.pkl:${md5('model bytes')}:${cmf.execution!.id}`);
    assert.equal(v(model.properties!.model_type), 'Default');

    const metrics = await cmf.logExecutionMetrics('scores', { auc: 0.75 });
    assert.deepEqual(props(metrics.customProperties), { auc: 0.75 });

    cmf.logMetric('training', { loss: 0.5, step: 1 });
    cmf.logMetric('training', { loss: 0.25, step: 2 });
    const sm = await cmf.commitMetrics('training');
    const uuid0 = (v(cmf.execution!.properties!.Execution_uuid) as string).split(',')[0];
    const metricsFile = path.join(root, 'cmf_artifacts', uuid0, 'metrics', 'training');
    assert.ok(fs.existsSync(metricsFile));
    assert.equal(sm.uri, md5(fs.readFileSync(metricsFile)));
    assert.ok(sm.name!.startsWith(`cmf_artifacts/${uuid0}/metrics/training:${sm.uri}:${cmf.execution!.id}:`));
    assert.equal(fs.readFileSync(metricsFile).subarray(0, 4).toString(), 'PAR1');

    const slice = await cmf
      .createDataslice('slice-a')
      .addData('data/raw/1.xml', { label: 0 })
      .addData('data/raw/2.xml', { label: 1 })
      .commit({ purpose: 'bias' });
    const sliceFile = path.join(root, 'cmf_artifacts', uuid0, 'dataslice', 'slice-a');
    assert.equal(slice.name, `cmf_artifacts/${uuid0}/dataslice/slice-a:${md5(fs.readFileSync(sliceFile))}`);
    assert.deepEqual(props(slice.customProperties), { purpose: 'bias' });
    assert.deepEqual(await cmf.readDataslice('slice-a'), [
      { hash: md5('<a/>'), label: 0n, Path: 'data/raw/1.xml' },
      { hash: md5('<b/>'), label: 1n, Path: 'data/raw/2.xml' },
    ]);
    assert.deepEqual(await cmf.getMetrics(sm.name!), [
      { loss: 0.5, step: 1n, SequenceNumber: 1n },
      { loss: 0.25, step: 2n, SequenceNumber: 2n },
    ]);
    await assert.rejects(cmf.getMetrics(model.name!), /not Step_Metrics/);
    await cmf.finalize();
    assert.equal(v(cmf.execution!.properties!.Git_End_Commit), 'c0ffee');
  });

  it('query methods', async () => {
    assert.deepEqual(await cmf.getPipelineStages(), ['sdk-pipe/train']);
    const execs = await cmf.getAllExecutionsInStage('sdk-pipe/train');
    assert.equal(execs.length, 1);
    const arts = await cmf.getAllArtifactsForExecution(execs[0].id!);
    assert.deepEqual(arts.map((a) => a.artifact!.type).sort(), [
      'Dataset',
      'Dataslice',
      'Environment',
      'Label',
      'Metrics',
      'Model',
      'Step_Metrics',
    ]);
    const json = JSON.parse(await cmf.dumpToJson());
    assert.equal(json.Pipeline[0].name, 'sdk-pipe');
    const model = arts.find((a) => a.artifact!.type === 'Model')!.artifact!;
    assert.deepEqual(
      (await cmf.getProducerExecutions(model.name!)).map((x) => x.id),
      [execs[0].id],
    );
    assert.ok((await cmf.getOneHopParentArtifacts(model.name!)).some((a) => a.type === 'Dataset'));
  });

  it('pushes a local store to another server (cmf metadata push without the CLI)', async () => {
    const central = await startCmfServer();
    try {
      const remote = await Cmf.create({ client: central.cmf, pipelineName: 'sdk-pipe', root });
      const json = await cmf.dumpToJson();
      const first = await remote.pushMetadata(json);
      assert.equal(first.status, 'success');
      assert.equal(first.executionsAdded, 1n);
      assert.equal((await remote.pushMetadata(json)).status, 'exists');
      const pulled = JSON.parse(await remote.exportMetadata());
      assert.deepEqual(
        pulled.Pipeline.map((p: { name: string }) => p.name),
        ['sdk-pipe'],
      );
    } finally {
      await central.stop();
    }
  });

  it('errors: missing file, bad event, unknown metrics name', async () => {
    await assert.rejects(cmf.logDataset('data/missing.csv', 'input'), /no such file/);
    await assert.rejects(cmf.logDataset('data/raw/1.xml', 'sideways'), /INVALID_ARGUMENT/);
    await assert.rejects(cmf.commitMetrics('never-logged'), /no metrics/);
    await assert.rejects(cmf.logDataset('data/raw/1.xml', 'input', {}, { label: 'data/nolabel.csv' }), /label file/);
  });
});

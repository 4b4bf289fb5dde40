/**
 * CmfService writes through real gRPC, checked against the raw MLMD records (read back with the MLMD client): the
 * records cmflib writes — type names and declared property types, names, the 10 execution properties, events and
 * their paths, attributions, associations and the stage -> pipeline parent link — and the error cases.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Event_Type, PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import { expectStatus, status } from '../helpers/mlmd';
import { d, H1, H2, H3, HDIR, i, props, remote, s, startCmfServer, v, type CmfTestServer } from './cmf-harness';

const UUID1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('CmfService records', () => {
  let t: CmfTestServer;
  before(async () => {
    t = await startCmfServer();
  });
  after(async () => t.stop());

  it('pipeline and stage: types, names, properties, parent link; get-or-create keeps the first record', async () => {
    const { pipeline } = await t.cmf.createPipeline({
      pipelineName: 'P',
      customProperties: { owner: s('me'), n: i(3) },
    });
    assert.equal(pipeline!.name, 'P');
    assert.equal(pipeline!.type, 'Parent_Context');
    assert.deepEqual(props(pipeline!.properties), { Pipeline: 'P' });
    assert.deepEqual(props(pipeline!.customProperties), { owner: 'me', n: 3n });
    const again = await t.cmf.createPipeline({ pipelineName: 'P', customProperties: { other: s('x') } });
    assert.equal(again.pipeline!.id, pipeline!.id);
    assert.deepEqual(props(again.pipeline!.customProperties), { owner: 'me', n: 3n });

    const { stage } = await t.cmf.createStage({
      pipelineName: 'P',
      stageName: 'Prepare',
      customProperties: { 'user-metadata1': s('v') },
    });
    assert.equal(stage!.name, 'P/Prepare');
    assert.equal(stage!.type, 'Pipeline_Stage');
    assert.deepEqual(props(stage!.properties), { Pipeline_Stage: 'P/Prepare' });
    const stage2 = await t.cmf.createStage({ pipelineName: 'P', stageName: 'Prepare' });
    assert.equal(stage2.stage!.id, stage!.id);

    const parents = await t.mlmd.getParentContextsByContext({ contextId: stage!.id });
    assert.deepEqual(
      parents.contexts.map((c) => c.id),
      [pipeline!.id],
    );
    const types = await t.mlmd.getContextTypes({});
    const byName = Object.fromEntries(types.contextTypes.map((x) => [x.name, x.properties]));
    assert.deepEqual(byName.Parent_Context, { Pipeline: PropertyType.STRING });
    assert.deepEqual(byName.Pipeline_Stage, { Pipeline_Stage: PropertyType.STRING });
  });

  it('create_execution: type, the 10 properties, uuid1, update conversion, association, Environment input', async () => {
    const r = await t.cmf.createExecution({
      pipelineName: 'P',
      stageName: 'Prepare',
      executionType: 'Prepare',
      customProperties: { split: d(0.2), seed: i(20220520), tiny: d(1e-5), whole: d(20) },
      cmd: "['src/parse.py', 'data.xml']",
      gitRepo: 'https://example.com/repo.git',
      gitStartCommit: 'abc123',
      environment: { path: `cmf_artifacts/python_env_${H3}.txt`, hash: H3, remoteUrl: remote(H3) },
    });
    const x = r.execution!;
    assert.equal(x.type, 'Prepare');
    assert.equal(x.name ?? '', '');
    const p = props(x.properties);
    assert.match(p.Execution_uuid as string, UUID1);
    assert.deepEqual(
      { ...p, Execution_uuid: '' },
      {
        Execution_uuid: '',
        Context_Type: 'P/Prepare',
        Context_ID: r.stage!.id,
        Execution: "['src/parse.py', 'data.xml']",
        Execution_type_name: 'P/Prepare',
        Pipeline_Type: 'P',
        Pipeline_id: r.pipeline!.id,
        Git_Repo: 'https://example.com/repo.git',
        Git_Start_Commit: 'abc123',
        Git_End_Commit: '',
      },
    );
    // floats are stored as Python's str(), ints as ints
    assert.deepEqual(props(x.customProperties), {
      split: '0.2',
      seed: 20220520n,
      tiny: '1e-05',
      whole: '20.0',
      Python_Env: `cmf_artifacts/python_env_${H3}.txt`,
    });
    const type = (await t.mlmd.getExecutionType({ typeName: 'Prepare' })).executionType!;
    assert.deepEqual(type.properties, {
      Execution_uuid: PropertyType.STRING,
      Context_Type: PropertyType.STRING,
      Context_ID: PropertyType.INT,
      Execution: PropertyType.STRING,
      Execution_type_name: PropertyType.STRING,
      Pipeline_Type: PropertyType.STRING,
      Pipeline_id: PropertyType.INT,
      Git_Repo: PropertyType.STRING,
      Git_Start_Commit: PropertyType.STRING,
      Git_End_Commit: PropertyType.STRING,
    });
    const ctx = await t.mlmd.getContextsByExecution({ executionId: x.id });
    assert.deepEqual(
      ctx.contexts.map((c) => c.name),
      ['P/Prepare'],
    );

    const env = r.environment!;
    assert.equal(env.type, 'Environment');
    assert.equal(env.name, `cmf_artifacts/python_env_${H3}.txt:${H3}`);
    assert.equal(env.uri, H3);
    assert.deepEqual(props(env.properties), {
      git_repo: 'https://example.com/repo.git',
      Commit: H3,
      url: `P:${remote(H3)}`,
    });
    const ev = (await t.mlmd.getEventsByExecutionIDs({ executionIds: [x.id!] })).events;
    assert.equal(ev.length, 1);
    assert.equal(ev[0].type, Event_Type.INPUT);
    assert.equal(ev[0].path, undefined);
    assert.ok(ev[0].millisecondsSinceEpoch! > 0n);
    const attributed = await t.mlmd.getContextsByArtifact({ artifactId: env.id });
    assert.deepEqual(
      attributed.contexts.map((c) => c.name),
      ['P/Prepare'],
    );
  });

  it('log_dataset: new and reused by hash (custom merge, URL append, path step, no duplicate event, no new attribution)', async () => {
    const x = (await t.cmf.createExecution({ pipelineName: 'P', stageName: 'Prepare', executionType: 'Prepare' }))
      .execution!;
    const a = await t.cmf.logDataset({
      executionId: x.id,
      file: { path: 'artifacts/data.xml.gz', hash: H1, remoteUrl: remote(H1) },
      event: 'INPUT',
      customProperties: { 'user-metadata1': s('metadata_value'), rows: i(10), ratio: d(0.5) },
      gitRepo: 'g',
    });
    assert.equal(a.reused, false);
    const art = a.artifact!;
    assert.equal(art.type, 'Dataset');
    assert.equal(art.name, `artifacts/data.xml.gz:${H1}`);
    assert.equal(art.uri, H1);
    assert.deepEqual(props(art.properties), { git_repo: 'g', Commit: H1, url: `P:${remote(H1)}` });
    assert.deepEqual(props(art.customProperties), { 'user-metadata1': 'metadata_value', rows: 10n, ratio: 0.5 });
    const dsType = (await t.mlmd.getArtifactType({ typeName: 'Dataset' })).artifactType!;
    assert.deepEqual(dsType.properties, {
      git_repo: PropertyType.STRING,
      Commit: PropertyType.STRING,
      url: PropertyType.STRING,
    });

    // same content under another pipeline and stage: reused, url appended, linked with a path step
    await t.cmf.createPipeline({ pipelineName: 'Q' });
    const y = (await t.cmf.createExecution({ pipelineName: 'Q', stageName: 'Train', executionType: 'Train' }))
      .execution!;
    const b = await t.cmf.logDataset({
      executionId: y.id,
      file: { path: 'copy/data.xml.gz', hash: H1, remoteUrl: remote(H1) },
      event: 'input',
      customProperties: { extra: d(1.5) },
    });
    assert.equal(b.reused, true);
    assert.equal(b.artifact!.id, art.id);
    assert.equal(v(b.artifact!.properties!.url), `P:${remote(H1)},Q:${remote(H1)}`);
    assert.deepEqual(props(b.artifact!.customProperties), {
      'user-metadata1': 'metadata_value',
      rows: 10n,
      ratio: 0.5,
      extra: '1.5',
    });
    const events = (await t.mlmd.getEventsByExecutionIDs({ executionIds: [y.id!] })).events.filter(
      (e) => e.artifactId === art.id,
    );
    assert.equal(events.length, 1);
    assert.deepEqual(
      events[0].path?.steps?.map((st) => st.value),
      [{ $case: 'key', value: `copy/data.xml.gz:${H1}` }],
    );
    const attributed = await t.mlmd.getContextsByArtifact({ artifactId: art.id });
    assert.deepEqual(
      attributed.contexts.map((c) => c.name),
      ['P/Prepare'],
    );

    // logging it again from the same execution (even as output) adds no event
    await t.cmf.logDataset({
      executionId: y.id,
      file: { path: 'copy/data.xml.gz', hash: H1, remoteUrl: remote(H1) },
      event: 'output',
    });
    const again = (await t.mlmd.getEventsByExecutionIDs({ executionIds: [y.id!] })).events.filter(
      (e) => e.artifactId === art.id,
    );
    assert.equal(again.length, 1);
    // the same remote URL is not appended twice
    const reread = (await t.mlmd.getArtifactsById({ artifactIds: [art.id!] })).artifacts[0];
    assert.equal(v(reread.properties!.url), `P:${remote(H1)},Q:${remote(H1)}`);
  });

  it('log_dataset with a label: Label artifact, labels / labels_uri on the dataset', async () => {
    const x = (await t.cmf.createExecution({ pipelineName: 'P', stageName: 'Prepare', executionType: 'Prepare' }))
      .execution!;
    const LBL = '11112222333344445555666677778888';
    const r = await t.cmf.logDataset({
      executionId: x.id,
      file: { path: 'artifacts/dir', hash: HDIR, remoteUrl: remote(HDIR) },
      event: 'input',
      gitRepo: 'g',
      label: { path: 'artifacts/labels.csv', md5: LBL, customProperties: { user1: s('xyz') } },
    });
    assert.equal(r.artifact!.name, `artifacts/dir:${HDIR}`);
    const label = r.label!;
    assert.equal(label.type, 'Label');
    assert.equal(label.name, `artifacts/labels.csv:${LBL}`);
    assert.equal(label.uri, LBL);
    assert.deepEqual(props(label.properties), { git_repo: 'g', Commit: LBL, url: `artifacts/labels.csv:${LBL}` });
    assert.deepEqual(props(label.customProperties), { user1: 'xyz', dataset_uri: HDIR });
    const ds = (await t.mlmd.getArtifactsById({ artifactIds: [r.artifact!.id!] })).artifacts[0];
    assert.deepEqual(props(ds.customProperties), {
      labels: 'artifacts/labels.csv',
      labels_uri: `artifacts/labels.csv:${LBL}`,
    });
    // a second label file accumulates as a comma list without duplicates
    const LBL2 = '99992222333344445555666677778888';
    await t.cmf.logLabel({ executionId: x.id, label: { path: 'artifacts/labels2.csv', md5: LBL2 }, datasetHash: HDIR });
    await t.cmf.logLabel({ executionId: x.id, label: { path: 'artifacts/labels2.csv', md5: LBL2 }, datasetHash: HDIR });
    const ds2 = (await t.mlmd.getArtifactsById({ artifactIds: [r.artifact!.id!] })).artifacts[0];
    assert.deepEqual(props(ds2.customProperties), {
      labels: 'artifacts/labels.csv,artifacts/labels2.csv',
      labels_uri: `artifacts/labels.csv:${LBL},artifacts/labels2.csv:${LBL2}`,
    });
    const ev = (await t.mlmd.getEventsByExecutionIDs({ executionIds: [x.id!] })).events;
    assert.equal(ev.filter((e) => e.type === Event_Type.INPUT).length, 3);
  });

  it('log_model: name carries the execution id; reuse appends the URL on every artifact with the hash', async () => {
    const x = (await t.cmf.createExecution({ pipelineName: 'P', stageName: 'Train', executionType: 'Train' }))
      .execution!;
    const m = await t.cmf.logModel({
      executionId: x.id,
      file: { path: 'model/rf.pkl', hash: H2, remoteUrl: remote(H2) },
      event: 'output',
      modelFramework: 'sklearn',
      customProperties: { depth: i(3) },
    });
    const model = m.artifact!;
    assert.equal(model.type, 'Model');
    assert.equal(model.name, `model/rf.pkl:${H2}:${x.id}`);
    assert.deepEqual(props(model.properties), {
      model_framework: 'sklearn',
      model_type: 'Default',
      model_name: 'Default',
      Commit: H2,
      url: `P:${remote(H2)}`,
    });
    assert.deepEqual(props(model.customProperties), { depth: 3n });
    const type = (await t.mlmd.getArtifactType({ typeName: 'Model' })).artifactType!;
    assert.deepEqual(Object.keys(type.properties!).sort(), [
      'Commit',
      'model_framework',
      'model_name',
      'model_type',
      'url',
    ]);

    const y = (await t.cmf.createExecution({ pipelineName: 'Q', stageName: 'Test', executionType: 'Test' })).execution!;
    const n = await t.cmf.logModel({
      executionId: y.id,
      file: { path: 'model/rf.pkl', hash: H2, remoteUrl: remote(H2) },
      event: 'input',
    });
    assert.equal(n.reused, true);
    assert.equal(n.artifact!.id, model.id);
    assert.equal(v(n.artifact!.properties!.url), `P:${remote(H2)},Q:${remote(H2)}`);
    const ev = (await t.mlmd.getEventsByExecutionIDs({ executionIds: [y.id!] })).events.find(
      (e) => e.artifactId === model.id,
    )!;
    assert.equal(ev.type, Event_Type.INPUT);
    assert.deepEqual(
      ev.path?.steps?.map((st) => st.value),
      [{ $case: 'key', value: `model/rf.pkl:${H2}` }],
    );
  });

  it('metrics: coarse Metrics (uuid1 uri, doubles kept) and Step_Metrics at the execution uuid path', async () => {
    const x = (await t.cmf.createExecution({ pipelineName: 'P', stageName: 'Evaluate', executionType: 'Evaluate' }))
      .execution!;
    const r = await t.cmf.logExecutionMetrics({
      executionId: x.id,
      metricsName: 'metrics',
      customProperties: { auc: d(0.91), n: i(4) },
    });
    const a = r.artifact!;
    assert.equal(a.type, 'Metrics');
    assert.match(a.uri!, UUID1);
    assert.equal(a.name, `metrics:${a.uri}:${x.id}`);
    assert.deepEqual(props(a.properties), { metrics_name: a.name });
    assert.deepEqual(props(a.customProperties), { auc: 0.91, n: 4n });

    const uuid0 = (v(x.properties!.Execution_uuid) as string).split(',')[0];
    const path = `cmf_artifacts/${uuid0}/metrics/training_metrics`;
    const sm = await t.cmf.logStepMetrics({
      executionId: x.id,
      metricsName: 'training_metrics',
      file: { path, hash: H3, remoteUrl: remote(H3) },
    });
    const b = sm.artifact!;
    assert.equal(b.type, 'Step_Metrics');
    assert.equal(b.uri, H3);
    assert.match(b.name!, new RegExp(`^${path}:${H3}:${x.id}:[0-9a-f-]{36}$`));
    assert.deepEqual(props(b.properties), { Commit: H3, url: `P:${remote(H3)}` });
    assert.deepEqual(props(b.customProperties), {});
    // always a new artifact, even for the same content (H3 is also the environment file's hash)
    const sm2 = await t.cmf.logStepMetrics({
      executionId: x.id,
      metricsName: 'training_metrics',
      file: { path, hash: H3, remoteUrl: remote(H3) },
    });
    assert.notEqual(sm2.artifact!.id, b.id);
    await expectStatus(
      t.cmf.logStepMetrics({
        executionId: x.id,
        metricsName: 'training_metrics',
        file: { path: 'elsewhere/training_metrics', hash: H3 },
      }),
      status.INVALID_ARGUMENT,
      'must be at',
    );
  });

  it('dataslice: new as OUTPUT, then linked as INPUT from another execution', async () => {
    const x = (await t.cmf.createExecution({ pipelineName: 'P', stageName: 'Slice', executionType: 'Slice' }))
      .execution!;
    const uuid0 = (v(x.properties!.Execution_uuid) as string).split(',')[0];
    const path = `cmf_artifacts/${uuid0}/dataslice/slice-a`;
    const HS = '5555aaaa5555aaaa5555aaaa5555aaaa';
    const r = await t.cmf.logDataslice({
      executionId: x.id,
      datasliceName: 'slice-a',
      file: { path, hash: HS, remoteUrl: remote(HS) },
      customProperties: { k: s('v') },
      gitRepo: 'g',
    });
    assert.equal(r.artifact!.type, 'Dataslice');
    assert.equal(r.artifact!.name, `${path}:${HS}`);
    assert.deepEqual(props(r.artifact!.properties), { git_repo: 'g', Commit: HS, url: `P:${remote(HS)}` });
    const ev = (await t.mlmd.getEventsByExecutionIDs({ executionIds: [x.id!] })).events.find(
      (e) => e.artifactId === r.artifact!.id,
    )!;
    assert.equal(ev.type, Event_Type.OUTPUT);

    const y = (await t.cmf.createExecution({ pipelineName: 'P', stageName: 'Slice', executionType: 'Slice' }))
      .execution!;
    const uuidY = (v(y.properties!.Execution_uuid) as string).split(',')[0];
    const r2 = await t.cmf.logDataslice({
      executionId: y.id,
      datasliceName: 'slice-a',
      file: { path: `cmf_artifacts/${uuidY}/dataslice/slice-a`, hash: HS, remoteUrl: remote(HS) },
    });
    assert.equal(r2.reused, true);
    const ev2 = (await t.mlmd.getEventsByExecutionIDs({ executionIds: [y.id!] })).events.find(
      (e) => e.artifactId === r.artifact!.id,
    )!;
    assert.equal(ev2.type, Event_Type.INPUT);
  });

  it('reusable executions (create_new_execution=False): type = stage name, name = execution_type, uuids appended', async () => {
    const a = await t.cmf.createExecution({
      pipelineName: 'P',
      stageName: 'Loop',
      executionType: 'epoch-run',
      reuseExisting: true,
      customProperties: { lr: d(0.1) },
    });
    const x = a.execution!;
    assert.equal(x.type, 'P/Loop');
    assert.equal(x.name, 'epoch-run');
    const b = await t.cmf.createExecution({
      pipelineName: 'P',
      stageName: 'Loop',
      executionType: 'epoch-run',
      reuseExisting: true,
      customProperties: { step: i(2) },
    });
    assert.equal(b.execution!.id, x.id);
    const uuids = (v(b.execution!.properties!.Execution_uuid) as string).split(',');
    assert.equal(uuids.length, 2);
    assert.equal(uuids[0], v(x.properties!.Execution_uuid));
    assert.deepEqual(props(b.execution!.customProperties), { lr: '0.1', step: 2n });
  });

  it('update_execution and finalize', async () => {
    const x = (
      await t.cmf.createExecution({
        pipelineName: 'P',
        stageName: 'Prepare',
        executionType: 'Prepare',
        customProperties: { a: i(1) },
      })
    ).execution!;
    const u = await t.cmf.updateExecution({ executionId: x.id, customProperties: { b: d(2.5), c: s('z'), a: i(7) } });
    assert.deepEqual(props(u.execution!.customProperties), { a: 7n, b: '2.5', c: 'z' });
    const f = await t.cmf.finalizeExecution({ executionId: x.id, gitEndCommit: 'def456' });
    assert.equal(v(f.execution!.properties!.Git_End_Commit), 'def456');
  });

  it('errors: unknown pipeline / execution, bad event, bad hash, empty names — and nothing half-written', async () => {
    await expectStatus(t.cmf.createStage({ pipelineName: 'nope', stageName: 's' }), status.NOT_FOUND, 'No pipeline');
    await expectStatus(
      t.cmf.createExecution({ pipelineName: 'nope', stageName: 's', executionType: 'e' }),
      status.NOT_FOUND,
    );
    await expectStatus(t.cmf.createPipeline({ pipelineName: '' }), status.INVALID_ARGUMENT);
    await expectStatus(
      t.cmf.logDataset({ executionId: 999999n, file: { path: 'a', hash: H1 }, event: 'input' }),
      status.NOT_FOUND,
      'No execution',
    );
    await expectStatus(t.cmf.updateExecution({ executionId: 999999n }), status.NOT_FOUND);
    const x = (await t.cmf.createExecution({ pipelineName: 'P', stageName: 'Err', executionType: 'Err' })).execution!;
    await expectStatus(
      t.cmf.logDataset({ executionId: x.id, file: { path: 'a', hash: H1 }, event: 'sideways' }),
      status.INVALID_ARGUMENT,
      'input',
    );
    await expectStatus(
      t.cmf.logDataset({ executionId: x.id, file: { path: 'a', hash: 'XYZ' }, event: 'input' }),
      status.INVALID_ARGUMENT,
      'not a content hash',
    );
    await expectStatus(
      t.cmf.logDataset({ executionId: x.id, file: { path: 'a', hash: H1.toUpperCase() }, event: 'input' }),
      status.INVALID_ARGUMENT,
    );
    await expectStatus(
      t.cmf.logModel({ executionId: x.id, file: { path: '', hash: H1 }, event: 'input' }),
      status.INVALID_ARGUMENT,
    );
    await expectStatus(
      t.cmf.logLabel({ executionId: x.id, label: { path: 'l.csv', md5: `${H1}.dir` }, datasetHash: H1 }),
      status.INVALID_ARGUMENT,
    );

    // A label whose dataset is unknown fails after the dataset write would have happened: the whole call rolls back.
    const before = (await t.mlmd.getArtifacts({})).artifacts.length;
    const NEW = 'abababababababababababababababab';
    await expectStatus(
      t.cmf.logLabel({
        executionId: x.id,
        label: { path: 'l.csv', md5: NEW },
        datasetHash: 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd',
      }),
      status.NOT_FOUND,
    );
    // A failing environment file in create_execution writes no execution
    const execsBefore = (await t.mlmd.getExecutions({})).executions.length;
    await expectStatus(
      t.cmf.createExecution({
        pipelineName: 'P',
        stageName: 'Err',
        executionType: 'Err',
        environment: { path: 'env.txt', hash: 'bad' },
      }),
      status.INVALID_ARGUMENT,
    );
    assert.equal((await t.mlmd.getExecutions({})).executions.length, execsBefore);
    assert.equal((await t.mlmd.getArtifacts({})).artifacts.length, before);
    // a context name used by another type is refused
    await expectStatus(
      t.cmf.createPipeline({ pipelineName: 'P/Prepare' }),
      status.INVALID_ARGUMENT,
      'exists with type',
    );
  });
});

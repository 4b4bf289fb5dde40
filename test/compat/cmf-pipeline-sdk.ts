/**
 * The compat pipeline run through our TypeScript SDK against our server (in this process, real gRPC, SQLite file
 * <project>/mlmd). Usage: tsx test/compat/cmf-pipeline-sdk.ts <project dir> <env lines file>
 * Mirrors cmf_pipeline_cmflib.py call for call.
 * `tsx test/compat/cmf-pipeline-sdk.ts --query <mlmd file>` instead serves an existing file (e.g. the one cmflib
 * wrote) and prints our CmfService's answers as JSON, for comparison with CmfQuery on the same file, plus the
 * step-metrics and dataslice Parquet files (relative to the file's directory) as the SDK reads them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Cmf, CmfClient, readParquetRows } from '../../src/client';
import { createCmfApi } from '../../src/cmf/api';
import { createMlmdApi } from '../../src/mlmd/store';
import { cmfServiceRegistration } from '../../src/server/cmf-service';
import { startServer } from '../../src/server/server';
import { openDatabase } from '../../src/storage/open';

async function query(file: string): Promise<void> {
  const db = await openDatabase({ kind: 'sqlite', filenameUri: file });
  const server = await startServer({
    api: createMlmdApi(db),
    extraServices: [cmfServiceRegistration(createCmfApi(db))],
    port: 0,
    host: '127.0.0.1',
    onShutdown: () => db.close(),
  });
  const client = new CmfClient(`127.0.0.1:${server.port}`, { deadlineMs: 60_000 });
  try {
    const cmf = await Cmf.create({ client, root: path.dirname(file), pipelineName: 'compat', environment: false });
    const out: Record<string, unknown> = {};
    out.pipeline_names = await cmf.getPipelineNames();
    const stages = await cmf.getPipelineStages('compat');
    out.stages = stages;
    for (const stage of stages) {
      const execs = await cmf.getAllExecutionsInStage(stage);
      out[`executions:${stage}`] = execs.map((x) => Number(x.id));
      for (const x of execs) {
        const arts = await cmf.getAllArtifactsForExecution(x.id!);
        out[`artifacts_for_execution:${x.id}`] = arts.map((a) => [a.artifact!.name, a.event]).sort();
        // The Parquet files (pandas-written on cmflib's side) read back by the SDK.
        for (const { artifact } of arts) {
          if (artifact!.type === 'Step_Metrics')
            out[`parquet:${artifact!.name}`] = await cmf.getMetrics(artifact!.name!);
          if (artifact!.type === 'Dataslice')
            out[`parquet:${artifact!.name}`] = await readParquetRows(
              path.join(cmf.root, artifact!.name!.split(':')[0]),
            );
        }
      }
    }
    const names = new Set<string>();
    for (const key of Object.keys(out))
      if (key.startsWith('artifacts_for_execution:')) for (const [n] of out[key] as string[][]) names.add(n);
    const sorted = (xs: Array<{ name?: string }>) => xs.map((a) => a.name!).sort();
    for (const name of [...names].sort()) {
      out[`executions_for_artifact:${name}`] = (await cmf.getAllExecutionsForArtifact(name))
        .map((e) => [e.event, Number(e.execution!.id), e.executionTypeName, e.stage, e.pipeline])
        .sort();
      out[`one_hop_child:${name}`] = sorted(await cmf.getOneHopChildArtifacts(name));
      out[`all_child:${name}`] = sorted(await cmf.getAllChildArtifacts(name));
      out[`one_hop_parent:${name}`] = sorted(await cmf.getOneHopParentArtifacts(name));
      out[`all_parent:${name}`] = sorted(await cmf.getAllParentArtifacts(name));
      out[`all_parent_executions:${name}`] = (await cmf.getAllParentExecutions(name)).map((x) => Number(x.id)).sort();
      out[`producers:${name}`] = (await cmf.getProducerExecutions(name)).map((x) => Number(x.id)).sort();
    }
    out.dumptojson = await cmf.dumpToJson('compat');
    process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
  } finally {
    client.close();
    await server.shutdown();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--query') return query(path.resolve(process.argv[3]));
  const [project, envFile] = process.argv.slice(2);
  const root = path.resolve(project);
  const db = await openDatabase({ kind: 'sqlite', filenameUri: path.join(root, 'mlmd') });
  const server = await startServer({
    api: createMlmdApi(db),
    extraServices: [cmfServiceRegistration(createCmfApi(db))],
    port: 0,
    host: '127.0.0.1',
    onShutdown: () => db.close(),
  });
  const client = new CmfClient(`127.0.0.1:${server.port}`, { deadlineMs: 60_000 });
  try {
    const environment = fs
      .readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const cmf = await Cmf.create({
      client,
      root,
      pipelineName: 'compat',
      pipelineProperties: { owner: 'qa', version: 2 },
      environment,
    });
    await cmf.createContext('prepare', { 'user-metadata1': 'v1' });
    await cmf.createExecution('Prepare', { split: 0.2, seed: 20220520, note: 'first' }, { cmd: "['prepare.py']" });
    await cmf.logDataset(
      'data/raw',
      'input',
      { source: 'web', weight: 1.5 },
      { label: 'data/labels.csv', labelProperties: { user1: 'xyz' } },
    );
    await cmf.logDataset('data/train.csv', 'output');
    await cmf.logDataset('data/test.csv', 'output', { rows: 2 });
    await cmf
      .createDataslice('slice-a')
      .addData('data/raw/a/1.xml', { label: 0 })
      .addData('data/raw/b/2.xml', { label: 1 })
      .commit({ purpose: 'bias' });
    await cmf.finalize();

    await cmf.createContext('train');
    await cmf.createExecution('Train', { lr: 0.01, epochs: 3 }, { cmd: "['train.py']" });
    await cmf.logDataset('data/train.csv', 'input');
    for (const loss of [0.5, 0.25, 0.125]) cmf.logMetric('training_metrics', { loss, acc: loss / 2 });
    await cmf.commitMetrics('training_metrics');
    await cmf.logModel('model/rf.pkl', 'output', {
      modelFramework: 'sklearn',
      modelType: 'RF',
      modelName: 'rf',
      customProperties: { depth: 4 },
    });
    await cmf.logExecutionMetrics('metrics', { auc: 0.91, n: 5 });
    await cmf.finalize();

    await cmf.createContext('evaluate');
    await cmf.createExecution('Evaluate', {}, { cmd: "['evaluate.py']" });
    await cmf.logModel('model/rf.pkl', 'input');
    await cmf.logDataset('data/test.csv', 'input');
    await cmf.logExecutionMetrics('eval', { accuracy: 0.75 });
    await cmf.finalize();
  } finally {
    client.close();
    await server.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

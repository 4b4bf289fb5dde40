/**
 * The compat pipeline run through our TypeScript SDK against our server (in this process, real gRPC, SQLite file
 * <project>/mlmd). Usage: tsx test/compat/cmf-pipeline-sdk.ts <project dir> <env lines file>
 * Mirrors cmf_pipeline_cmflib.py call for call.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Cmf, CmfClient } from '../../src/client';
import { createCmfApi } from '../../src/cmf/api';
import { createMlmdApi } from '../../src/mlmd/store';
import { cmfServiceRegistration } from '../../src/server/cmf-service';
import { startServer } from '../../src/server/server';
import { openDatabase } from '../../src/storage/open';

async function main(): Promise<void> {
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
    const environment = fs.readFileSync(envFile, 'utf8').split('\n').filter((l) => l !== '');
    const cmf = await Cmf.create({ client, root, pipelineName: 'compat', pipelineProperties: { owner: 'qa', version: 2 }, environment });
    await cmf.createContext('prepare', { 'user-metadata1': 'v1' });
    await cmf.createExecution('Prepare', { split: 0.2, seed: 20220520, note: 'first' }, { cmd: "['prepare.py']" });
    await cmf.logDataset('data/raw', 'input', { source: 'web', weight: 1.5 }, { label: 'data/labels.csv', labelProperties: { user1: 'xyz' } });
    await cmf.logDataset('data/train.csv', 'output');
    await cmf.logDataset('data/test.csv', 'output', { rows: 2 });
    await cmf.createDataslice('slice-a').addData('data/raw/a/1.xml', { label: 0 }).addData('data/raw/b/2.xml', { label: 1 }).commit({ purpose: 'bias' });
    await cmf.finalize();

    await cmf.createContext('train');
    await cmf.createExecution('Train', { lr: 0.01, epochs: 3 }, { cmd: "['train.py']" });
    await cmf.logDataset('data/train.csv', 'input');
    for (const loss of [0.5, 0.25, 0.125]) cmf.logMetric('training_metrics', { loss, acc: loss / 2 });
    await cmf.commitMetrics('training_metrics');
    await cmf.logModel('model/rf.pkl', 'output', { modelFramework: 'sklearn', modelType: 'RF', modelName: 'rf', customProperties: { depth: 4 } });
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

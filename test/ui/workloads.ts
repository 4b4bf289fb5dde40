/**
 * What the UI suites look at, written through the server's real gRPC API the way real clients write it:
 *  - a CMF pipeline logged with our Cmf SDK (cmflib's API) in a temp project: Prepare -> Train -> Evaluate with
 *    datasets, a label, a model, execution metrics, step metrics and a dataslice;
 *  - a Kubeflow Pipelines v2-shaped store through MlmdClient: a `system.Pipeline` context with `system.PipelineRun`
 *    children, each run a DAG execution and four container tasks (ingest, preprocess, train, evaluate) reading and
 *    writing `system.Dataset`, `system.Model`, `system.Metrics` and `system.ClassificationMetrics` artifacts, with the
 *    custom properties KFP's driver writes (display_name, task_name, image, namespace, a struct of inputs...).
 * Enough runs that every table spans several pages at the UI's smallest page size.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Artifact_State,
  Event_Type,
  Execution_State,
  PropertyType,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import { Cmf, type CmfClient, type MlmdClient } from '../../src/client';
import { doubleValue, intValue, stringValue } from '../helpers/mlmd';

const S = PropertyType.STRING;
const struct = (value: Record<string, unknown>): Value => ({ value: { $case: 'structValue', value } });
const bool = (value: boolean): Value => ({ value: { $case: 'boolValue', value } });

export const CMF_PIPELINE = 'iris-cmf';
export const KFP_PIPELINE = 'iris-training';
export const KFP_RUNS = 8;
export const KFP_TASKS = ['ingest', 'preprocess', 'train', 'evaluate'] as const;

export interface CmfIds {
  pipeline: string;
  stages: string[];
  trainExecution: bigint;
  model: bigint;
  trainDataset: bigint;
}

/** The CMF pipeline through the SDK, in a project directory under `dir`. */
export async function logCmfPipeline(client: CmfClient, dir: string): Promise<CmfIds> {
  const root = path.join(dir, 'cmf-project');
  fs.mkdirSync(path.join(root, 'data', 'raw'), { recursive: true });
  fs.mkdirSync(path.join(root, 'data', 'parsed'), { recursive: true });
  fs.mkdirSync(path.join(root, 'model'), { recursive: true });
  fs.writeFileSync(path.join(root, 'data', 'raw', 'iris.csv'), 'sepal,petal,class\n5.1,1.4,setosa\n');
  fs.writeFileSync(path.join(root, 'data', 'labels.csv'), 'id,label\n1,setosa\n');
  fs.writeFileSync(path.join(root, 'data', 'parsed', 'train.csv'), 'sepal,petal\n5.1,1.4\n');
  fs.writeFileSync(path.join(root, 'data', 'parsed', 'test.csv'), 'sepal,petal\n4.9,1.3\n');
  fs.writeFileSync(path.join(root, 'model', 'rf.pkl'), 'random forest bytes');
  const cmf = await Cmf.create({
    client,
    pipelineName: CMF_PIPELINE,
    root,
    gitRepo: 'https://example.org/iris.git',
    gitCommit: () => 'c0ffee42',
    dvcRemote: '/remote',
    environment: ['scikit-learn==1.4.0', 'pandas==2.2.0'],
    command: "['train.py']",
  });
  await cmf.createContext('Prepare', { owner: 'data-team' });
  await cmf.createExecution('Prepare', { split: 0.2, seed: 42 });
  await cmf.logDataset('data/raw/iris.csv', 'input', { source: 'uci' }, { label: 'data/labels.csv' });
  const train = await cmf.logDataset('data/parsed/train.csv', 'output');
  await cmf.logDataset('data/parsed/test.csv', 'output');
  await cmf.finalize();

  await cmf.createContext('Train');
  const x = await cmf.createExecution('Train', { max_depth: 4, n_estimators: 100, criterion: 'gini' });
  await cmf.logDataset('data/parsed/train.csv', 'input');
  const model = await cmf.logModel('model/rf.pkl', 'output', { modelFramework: 'sklearn', modelType: 'RandomForest' });
  await cmf.logExecutionMetrics('training_metrics', { accuracy: 0.97, loss: 0.08 });
  cmf.logMetric('training_loss', { loss: 0.5, step: 1 });
  cmf.logMetric('training_loss', { loss: 0.2, step: 2 });
  await cmf.commitMetrics('training_loss');
  await cmf
    .createDataslice('hard-cases')
    .addData('data/parsed/train.csv', { weight: 2 })
    .commit({ purpose: 'bias check' });
  await cmf.finalize();

  await cmf.createContext('Evaluate');
  await cmf.createExecution('Evaluate', { threshold: 0.5 });
  await cmf.logDataset('data/parsed/test.csv', 'input');
  await cmf.logModel('model/rf.pkl', 'input');
  await cmf.logExecutionMetrics('evaluation', { roc_auc: 0.93, avg_precision: 0.9 });
  await cmf.finalize();
  return {
    pipeline: CMF_PIPELINE,
    stages: ['Prepare', 'Train', 'Evaluate'].map((s) => `${CMF_PIPELINE}/${s}`),
    trainExecution: x.id!,
    model: model.id!,
    trainDataset: train.id!,
  };
}

export interface KfpIds {
  pipelineContext: bigint;
  runContexts: bigint[];
  /** Per run: the model and metrics artifacts of its train and evaluate tasks. */
  models: bigint[];
  metrics: bigint[];
  /** The train task of run 0. */
  trainExecution: bigint;
}

/** The Kubeflow-shaped store through the MLMD API. */
export async function logKfpWorkload(client: MlmdClient): Promise<KfpIds> {
  const typeId = async (kind: 'artifact' | 'execution' | 'context', name: string) => {
    const properties: Record<string, PropertyType> = kind === 'artifact' ? {} : { pipeline_name: S };
    if (kind === 'artifact') return (await client.putArtifactType({ artifactType: { name, properties } })).typeId!;
    if (kind === 'execution') return (await client.putExecutionType({ executionType: { name, properties } })).typeId!;
    return (await client.putContextType({ contextType: { name, properties } })).typeId!;
  };
  const pipelineType = await typeId('context', 'system.Pipeline');
  const runType = await typeId('context', 'system.PipelineRun');
  const dagType = await typeId('execution', 'system.DAGExecution');
  const taskType = await typeId('execution', 'system.ContainerExecution');
  const datasetType = await typeId('artifact', 'system.Dataset');
  const modelType = await typeId('artifact', 'system.Model');
  const metricsType = await typeId('artifact', 'system.Metrics');
  const classificationType = await typeId('artifact', 'system.ClassificationMetrics');

  const [pipelineContext] = (
    await client.putContexts({
      contexts: [
        {
          typeId: pipelineType,
          name: KFP_PIPELINE,
          customProperties: { pipeline_root: stringValue('minio://mlpipeline/v2') },
        },
      ],
    })
  ).contextIds;
  const ids: KfpIds = {
    pipelineContext: pipelineContext!,
    runContexts: [],
    models: [],
    metrics: [],
    trainExecution: 0n,
  };
  for (let r = 0; r < KFP_RUNS; r++) {
    const run = `run-${String(r).padStart(2, '0')}`;
    const [runContext] = (
      await client.putContexts({
        contexts: [
          {
            typeId: runType,
            name: run,
            properties: { pipeline_name: stringValue(KFP_PIPELINE) },
            customProperties: {
              namespace: stringValue('kubeflow-user'),
              resource_name: stringValue(`${KFP_PIPELINE}-${run}`),
              store_session_info: stringValue('{"Provider":"minio"}'),
            },
          },
        ],
      })
    ).contextIds;
    ids.runContexts.push(runContext!);
    await client.putParentContexts({ parentContexts: [{ childId: runContext!, parentId: pipelineContext! }] });
    const common = (task: string): Record<string, Value> => ({
      display_name: stringValue(task),
      task_name: stringValue(task),
      pod_name: stringValue(`${run}-${task}-pod`),
      image: stringValue(`ghcr.io/example/${task}:1.0`),
      namespace: stringValue('kubeflow-user'),
    });
    const { executionIds } = await client.putExecutions({
      executions: [
        {
          typeId: dagType,
          lastKnownState: Execution_State.COMPLETE,
          properties: { pipeline_name: stringValue(KFP_PIPELINE) },
          customProperties: { display_name: stringValue(run) },
        },
        ...KFP_TASKS.map((task, t) => ({
          typeId: taskType,
          // The last run's evaluation failed.
          lastKnownState: r === KFP_RUNS - 1 && task === 'evaluate' ? Execution_State.FAILED : Execution_State.COMPLETE,
          properties: { pipeline_name: stringValue(KFP_PIPELINE) },
          customProperties: {
            ...common(task),
            inputs: struct({ learning_rate: 0.01 * (r + 1), epochs: 10 + t }),
            cached: bool(false),
            attempt: intValue(1),
          },
        })),
      ],
    });
    const [, ingest, preprocess, train, evaluate] = executionIds;
    if (r === 0) ids.trainExecution = train!;
    const { artifactIds } = await client.putArtifacts({
      artifacts: [
        {
          typeId: datasetType,
          uri: `minio://mlpipeline/v2/${run}/ingest/raw`,
          state: Artifact_State.LIVE,
          customProperties: { display_name: stringValue('raw') },
        },
        {
          typeId: datasetType,
          uri: `minio://mlpipeline/v2/${run}/preprocess/features`,
          state: Artifact_State.LIVE,
          customProperties: { display_name: stringValue('features') },
        },
        {
          typeId: modelType,
          uri: `minio://mlpipeline/v2/${run}/train/model`,
          state: Artifact_State.LIVE,
          customProperties: { display_name: stringValue('model'), framework: stringValue('xgboost') },
        },
        {
          typeId: metricsType,
          uri: `minio://mlpipeline/v2/${run}/evaluate/metrics`,
          state: Artifact_State.LIVE,
          customProperties: {
            display_name: stringValue('metrics'),
            accuracy: doubleValue(0.9 + r / 100),
            f1: doubleValue(0.88),
          },
        },
        {
          typeId: classificationType,
          uri: `minio://mlpipeline/v2/${run}/evaluate/confusion`,
          state: Artifact_State.LIVE,
          customProperties: {
            display_name: stringValue('confusion'),
            confusionMatrix: struct({
              annotationSpecs: [{ displayName: 'a' }, { displayName: 'b' }],
              rows: [{ row: [5, 1] }, { row: [0, 6] }],
            }),
          },
        },
      ],
    });
    const [raw, features, model, metrics, confusion] = artifactIds;
    ids.models.push(model!);
    ids.metrics.push(metrics!);
    const key = (k: string) => ({ steps: [{ value: { $case: 'key' as const, value: k } }] });
    await client.putEvents({
      events: [
        { artifactId: raw!, executionId: ingest!, type: Event_Type.OUTPUT, path: key('raw') },
        { artifactId: raw!, executionId: preprocess!, type: Event_Type.INPUT, path: key('raw') },
        { artifactId: features!, executionId: preprocess!, type: Event_Type.OUTPUT, path: key('features') },
        { artifactId: features!, executionId: train!, type: Event_Type.INPUT, path: key('features') },
        { artifactId: model!, executionId: train!, type: Event_Type.OUTPUT, path: key('model') },
        { artifactId: model!, executionId: evaluate!, type: Event_Type.INPUT, path: key('model') },
        { artifactId: features!, executionId: evaluate!, type: Event_Type.INPUT, path: key('test_features') },
        { artifactId: metrics!, executionId: evaluate!, type: Event_Type.OUTPUT, path: key('metrics') },
        { artifactId: confusion!, executionId: evaluate!, type: Event_Type.OUTPUT, path: key('confusion') },
      ],
    });
    await client.putAttributionsAndAssociations({
      attributions: artifactIds.map((artifactId) => ({ contextId: runContext!, artifactId })),
      associations: executionIds.map((executionId) => ({ contextId: runContext!, executionId })),
    });
  }
  return ids;
}

/**
 * Deterministic workloads written through the MLMD gRPC API: a Kubeflow-like run (plain MLMD projection) and a CMF
 * pipeline with cmflib's type names, naming and call sequence (cmf.md §0, §2.4-§2.14, the worked example of §2.22
 * extended by a Train and an Evaluate stage). Same calls on a fresh store => same ids.
 */
import { Event_Type, PropertyType, type Value } from '../../generated/ml_metadata/proto/metadata_store';
import type { MlmdClient } from '../../src/client';
import { doubleValue, intValue, stringValue } from '../helpers/mlmd';

/** A value that would break Cypher pasted as text: quotes, backslashes, a newline, non-ASCII and an emoji. */
export const TRICKY = `it's "quoted" \\ back\\slash\nline ü 中文 😀 $x {y}`;

const S = PropertyType.STRING;
const I = PropertyType.INT;

export interface KfpResult {
  executions: bigint[];
  artifacts: bigint[];
  contexts: bigint[];
}

/** 2 contexts (run -> pipeline), 2 executions, 3 artifacts, 4 events, links; values with every awkward character. */
export async function kfpWorkload(client: MlmdClient): Promise<KfpResult> {
  const at = (await client.putArtifactType({ artifactType: { name: 'system.Dataset', properties: { note: S } } }))
    .typeId!;
  const et = (
    await client.putExecutionType({ executionType: { name: 'system.ContainerExecution', properties: { image: S } } })
  ).typeId!;
  const ct = (await client.putContextType({ contextType: { name: 'system.PipelineRun', properties: {} } })).typeId!;
  const { contextIds } = await client.putContexts({
    contexts: [
      { typeId: ct, name: 'pipeline/"p1"', customProperties: { owner: stringValue(TRICKY) } },
      { typeId: ct, name: 'run-1 ü', customProperties: {} },
    ],
  });
  await client.putParentContexts({ parentContexts: [{ childId: contextIds[1], parentId: contextIds[0] }] });
  const { executionIds } = await client.putExecutions({
    executions: [
      {
        typeId: et,
        name: 'train',
        properties: { image: stringValue('img:1') },
        customProperties: { lr: doubleValue(0.1), n: intValue(3) },
      },
      {
        typeId: et,
        name: `eval ${TRICKY}`,
        customProperties: { flag: { value: { $case: 'boolValue', value: true } } as Value },
      },
    ],
  });
  const { artifactIds } = await client.putArtifacts({
    artifacts: [
      { typeId: at, uri: 's3://b/in', name: 'in', properties: { note: stringValue(TRICKY) } },
      { typeId: at, uri: 's3://b/model', name: 'model' },
      { typeId: at, uri: 's3://b/metrics\\"x', name: 'metrics' },
    ],
  });
  await client.putEvents({
    events: [
      {
        artifactId: artifactIds[0],
        executionId: executionIds[0],
        type: Event_Type.INPUT,
        path: { steps: [{ value: { $case: 'key', value: 'in"put' } }] },
      },
      { artifactId: artifactIds[1], executionId: executionIds[0], type: Event_Type.OUTPUT },
      { artifactId: artifactIds[1], executionId: executionIds[1], type: Event_Type.INPUT },
      {
        artifactId: artifactIds[2],
        executionId: executionIds[1],
        type: Event_Type.OUTPUT,
        path: { steps: [{ value: { $case: 'index', value: 0n } }] },
      },
    ],
  });
  await client.putAttributionsAndAssociations({
    attributions: artifactIds.map((artifactId) => ({ contextId: contextIds[1], artifactId })),
    associations: executionIds.map((executionId) => ({ contextId: contextIds[1], executionId })),
  });
  return { executions: executionIds, artifacts: artifactIds, contexts: contextIds };
}

// ------------------------------------------------------------------------------------------------ CMF

const EXEC_PROPS = {
  Execution_uuid: S,
  Context_Type: S,
  Context_ID: I,
  Execution: S,
  Execution_type_name: S,
  Pipeline_Type: S,
  Pipeline_id: I,
  Git_Repo: S,
  Git_Start_Commit: S,
  Git_End_Commit: S,
};
const ARTIFACT_PROPS: Record<string, Record<string, PropertyType>> = {
  Dataset: { git_repo: S, Commit: S, url: S },
  Label: { git_repo: S, Commit: S, url: S },
  Environment: { git_repo: S, Commit: S, url: S },
  Model: { model_framework: S, model_type: S, model_name: S, Commit: S, url: S },
  Metrics: { metrics_name: S },
};

/** A cmflib-like writer over the MLMD API: the calls cmflib makes, in its order, with its names. */
export class CmfLikeWriter {
  private readonly types = new Map<string, bigint>();
  pipelineId = 0n;
  pipeline = '';
  stageId = 0n;
  stage = '';
  executionId = 0n;
  executionType = '';
  private uuid = 0;

  constructor(readonly client: MlmdClient) {}

  private async type(
    kind: 'artifact' | 'execution' | 'context',
    name: string,
    properties: Record<string, PropertyType>,
  ): Promise<bigint> {
    const key = `${kind}:${name}`;
    let id = this.types.get(key);
    if (id !== undefined) return id;
    if (kind === 'artifact') id = (await this.client.putArtifactType({ artifactType: { name, properties } })).typeId!;
    else if (kind === 'execution')
      id = (await this.client.putExecutionType({ executionType: { name, properties } })).typeId!;
    else id = (await this.client.putContextType({ contextType: { name, properties } })).typeId!;
    this.types.set(key, id);
    return id;
  }

  async startPipeline(name: string): Promise<void> {
    const t = await this.type('context', 'Parent_Context', { Pipeline: S });
    this.pipeline = name;
    this.pipelineId = (
      await this.client.putContexts({ contexts: [{ typeId: t, name, properties: { Pipeline: stringValue(name) } }] })
    ).contextIds[0];
  }

  async createContext(stage: string, custom: Record<string, Value> = {}): Promise<void> {
    const t = await this.type('context', 'Pipeline_Stage', { Pipeline_Stage: S });
    this.stage = `${this.pipeline}/${stage}`;
    this.stageId = (
      await this.client.putContexts({
        contexts: [
          {
            typeId: t,
            name: this.stage,
            properties: { Pipeline_Stage: stringValue(this.stage) },
            customProperties: custom,
          },
        ],
      })
    ).contextIds[0];
    await this.client.putParentContexts({ parentContexts: [{ childId: this.stageId, parentId: this.pipelineId }] });
  }

  async createExecution(executionType: string, custom: Record<string, Value>, envHash: string): Promise<void> {
    const t = await this.type('execution', executionType, EXEC_PROPS);
    this.executionType = executionType;
    const properties: Record<string, Value> = {
      Context_Type: stringValue(this.stage),
      Context_ID: intValue(this.stageId),
      Execution: stringValue(`['src/${executionType.toLowerCase()}.py']`),
      Execution_type_name: stringValue(this.stage),
      Pipeline_Type: stringValue(this.pipeline),
      Pipeline_id: intValue(this.pipelineId),
      Git_Repo: stringValue('https://example.org/repo.git'),
      Git_Start_Commit: stringValue('abc'),
      Git_End_Commit: stringValue(''),
    };
    this.executionId = (
      await this.client.putExecutions({ executions: [{ typeId: t, properties, customProperties: custom }] })
    ).executionIds[0];
    await this.client.putAttributionsAndAssociations({
      associations: [{ contextId: this.stageId, executionId: this.executionId }],
    });
    properties.Execution_uuid = stringValue(`uuid-${++this.uuid}`);
    await this.client.putExecutions({
      executions: [{ id: this.executionId, typeId: t, properties, customProperties: custom }],
    });
    const withEnv = { ...custom, Python_Env: stringValue('cmf_artifacts/python_env_abc.txt') };
    await this.client.putExecutions({
      executions: [{ id: this.executionId, typeId: t, properties, customProperties: withEnv }],
    });
    await this.logArtifact('Environment', 'cmf_artifacts/python_env_abc.txt', envHash, 'input');
  }

  /** log_dataset / log_model / log_python_env: create-with-event or link-existing (by uri). */
  async logArtifact(
    type: 'Dataset' | 'Model' | 'Environment' | 'Label',
    path: string,
    hash: string,
    event: 'input' | 'output',
    custom: Record<string, Value> = {},
  ): Promise<bigint> {
    const t = await this.type('artifact', type, ARTIFACT_PROPS[type]);
    const evType = event === 'input' ? Event_Type.INPUT : Event_Type.OUTPUT;
    const existing = (await this.client.getArtifactsByUri({ uris: [hash] })).artifacts;
    if (existing.length > 0) {
      const a = existing[existing.length - 1];
      // Existing links looked up from the execution side (a shared artifact's event list grows with every reader).
      const events = (await this.client.getEventsByExecutionIDs({ executionIds: [this.executionId] })).events;
      if (!events.some((e) => e.artifactId === a.id)) {
        await this.client.putEvents({
          events: [
            {
              artifactId: a.id!,
              executionId: this.executionId,
              type: evType,
              path: { steps: [{ value: { $case: 'key', value: `${path}:${hash}` } }] },
            },
          ],
        });
      }
      return a.id!;
    }
    const name = type === 'Model' ? `${path}:${hash}:${this.executionId}` : `${path}:${hash}`;
    const properties: Record<string, Value> = {
      Commit: stringValue(hash),
      url: stringValue(`${this.pipeline}:/remote/files/md5/${hash.slice(0, 2)}/${hash.slice(2)}`),
    };
    if (type === 'Model')
      Object.assign(properties, {
        model_framework: stringValue('SKlearn'),
        model_type: stringValue('RandomForestClassifier'),
        model_name: stringValue('RandomForestClassifier:default'),
      });
    else properties.git_repo = stringValue('https://example.org/repo.git');
    if (type === 'Label') properties.url = stringValue(`${path}:${hash}`);
    const id = (
      await this.client.putArtifacts({
        artifacts: [{ typeId: t, uri: hash, name, properties, customProperties: custom }],
      })
    ).artifactIds[0];
    await this.client.putEvents({
      events: [
        { artifactId: id, executionId: this.executionId, type: evType, millisecondsSinceEpoch: BigInt(Date.now()) },
      ],
    });
    await this.client.putAttributionsAndAssociations({ attributions: [{ contextId: this.stageId, artifactId: id }] });
    return id;
  }

  async logMetrics(name: string, values: Record<string, Value>): Promise<void> {
    const t = await this.type('artifact', 'Metrics', ARTIFACT_PROPS.Metrics);
    const uri = `metrics-uuid-${++this.uuid}`;
    const full = `${name}:${uri}:${this.executionId}`;
    const id = (
      await this.client.putArtifacts({
        artifacts: [
          { typeId: t, uri, name: full, properties: { metrics_name: stringValue(full) }, customProperties: values },
        ],
      })
    ).artifactIds[0];
    await this.client.putEvents({
      events: [{ artifactId: id, executionId: this.executionId, type: Event_Type.OUTPUT }],
    });
    await this.client.putAttributionsAndAssociations({ attributions: [{ contextId: this.stageId, artifactId: id }] });
  }
}

export const HASH = {
  env: 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0',
  data: '236d9502e0283d91f689d7038b8508a2',
  label: '1abe1abe1abe1abe1abe1abe1abe1abe',
  train: '7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a',
  test: '7e577e577e577e577e577e577e577e57',
  model: '30de130de130de130de130de130de130',
};

/**
 * The worked example (Prepare: data.xml.gz + label in, train/test out), then Train (train.tsv in; model and metrics
 * out) and Evaluate (train.tsv and the model in; metrics out): train.tsv has two consumers.
 */
export async function cmfWorkload(client: MlmdClient, pipeline = 'Test-env'): Promise<CmfLikeWriter> {
  const w = new CmfLikeWriter(client);
  await w.startPipeline(pipeline);
  await w.createContext('Prepare', { 'user-metadata1': stringValue('metadata_value') });
  await w.createExecution('Prepare', { split: stringValue('0.2'), seed: intValue(20220520) }, HASH.env);
  const data = await w.logArtifact('Dataset', 'artifacts/data.xml.gz', HASH.data, 'input', {
    'user-metadata1': stringValue(TRICKY),
  });
  await w.logArtifact('Label', 'artifacts/labels.csv', HASH.label, 'input', {
    user1: stringValue('xyz'),
    dataset_uri: stringValue(HASH.data),
  });
  const [dataArtifact] = (await client.getArtifactsById({ artifactIds: [data] })).artifacts;
  await client.putArtifacts({
    artifacts: [
      {
        ...dataArtifact,
        customProperties: {
          ...dataArtifact.customProperties,
          labels: stringValue('artifacts/labels.csv'),
          labels_uri: stringValue(`artifacts/labels.csv:${HASH.label}`),
        },
      },
    ],
  });
  await w.logArtifact('Dataset', 'artifacts/parsed/train.tsv', HASH.train, 'output');
  await w.logArtifact('Dataset', 'artifacts/parsed/test.tsv', HASH.test, 'output');

  await w.createContext('Train');
  await w.createExecution('Train', { 'max-depth': intValue(2), lr: stringValue('0.01') }, HASH.env);
  await w.logArtifact('Dataset', 'artifacts/parsed/train.tsv', HASH.train, 'input');
  await w.logArtifact('Model', 'artifacts/model.pkl', HASH.model, 'output');
  await w.logMetrics('training_metrics', { auc: doubleValue(0.91), loss: doubleValue(1e-5) });

  await w.createContext('Evaluate');
  await w.createExecution('Evaluate', {}, HASH.env);
  await w.logArtifact('Dataset', 'artifacts/parsed/train.tsv', HASH.train, 'input');
  await w.logArtifact('Model', 'artifacts/model.pkl', HASH.model, 'input');
  await w.logMetrics('metrics', { avg_prec: doubleValue(0.75), roc_auc: doubleValue(0.5) });
  return w;
}

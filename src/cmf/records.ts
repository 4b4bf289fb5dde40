/**
 * CMF writes: pipelines, stages, executions and artifacts recorded exactly as cmflib records them, expressed as MLMD
 * domain calls on an `MlmdApi` bound to the caller's transaction (see mlmd/in-transaction.ts). Nothing here opens a
 * transaction, speaks SQL or knows gRPC.
 */
import {
  Event_Type,
  type Artifact,
  type Context,
  type Execution,
  type PropertyType,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import { Code, invalidArgument, isNotFound, MlmdError, notFound } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import {
  appendedUrl,
  ARTIFACT_TYPES,
  ARTIFACTS_PATH,
  type ArtifactTypeName,
  checkHash,
  checkNonEmpty,
  checkPath,
  DATASLICE_PATH,
  EXECUTION_TYPE_PROPERTIES,
  int,
  intOf,
  mergedCustomProperties,
  METRICS_PATH,
  parseEvent,
  PIPELINE_TYPE,
  PIPELINE_TYPE_PROPERTIES,
  STAGE_TYPE,
  STAGE_TYPE_PROPERTIES,
  stageName,
  str,
  stringOf,
  updateValue,
} from './model';
import { uuid1 } from './uuid1';

type Props = { [key: string]: Value };
type Declared = { [key: string]: PropertyType };

// ---------------------------------------------------------------- types

type Kind = 'artifact' | 'execution' | 'context';

/** cmflib's get-or-create: an existing type is used as it is (never evolved), a missing one is created. */
export async function typeIdOf(m: MlmdApi, kind: Kind, name: string, properties: Declared): Promise<bigint> {
  try {
    if (kind === 'artifact') return (await m.getArtifactType({ typeName: name })).artifactType!.id!;
    if (kind === 'execution') return (await m.getExecutionType({ typeName: name })).executionType!.id!;
    return (await m.getContextType({ typeName: name })).contextType!.id!;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const type = { name, properties };
  if (kind === 'artifact') return (await m.putArtifactType({ artifactType: type })).typeId!;
  if (kind === 'execution') return (await m.putExecutionType({ executionType: type })).typeId!;
  return (await m.putContextType({ contextType: type })).typeId!;
}

// ---------------------------------------------------------------- contexts

/** The context named `name`, whatever its type (cmflib looks names up across all contexts). */
export async function contextByName(m: MlmdApi, name: string): Promise<Context | undefined> {
  const { contextTypes } = await m.getContextTypes({});
  for (const t of contextTypes ?? []) {
    const { context } = await m.getContextByTypeAndName({ typeName: t.name, contextName: name });
    if (context) return context;
  }
  return undefined;
}

async function getOrCreateContext(
  m: MlmdApi,
  typeName: string,
  declared: Declared,
  name: string,
  properties: Props,
  customProperties: Props,
): Promise<Context> {
  const existing = await contextByName(m, name);
  if (existing) {
    if (existing.type !== typeName) {
      throw invalidArgument(
        `A context named ${JSON.stringify(name)} exists with type ${existing.type}, not ${typeName}`,
      );
    }
    return existing;
  }
  const typeId = await typeIdOf(m, 'context', typeName, declared);
  const { contextIds } = await m.putContexts({ contexts: [{ typeId, name, properties, customProperties }] });
  return (await m.getContextsById({ contextIds })).contexts![0];
}

export async function getOrCreatePipeline(
  m: MlmdApi,
  pipelineName: string | undefined,
  customProperties: Props = {},
): Promise<Context> {
  const name = checkNonEmpty(pipelineName, 'pipeline_name');
  return getOrCreateContext(
    m,
    PIPELINE_TYPE,
    PIPELINE_TYPE_PROPERTIES,
    name,
    { Pipeline: str(name) },
    customProperties,
  );
}

/** The pipeline context, which must exist. */
export async function pipelineByName(m: MlmdApi, pipelineName: string | undefined): Promise<Context> {
  const name = checkNonEmpty(pipelineName, 'pipeline_name');
  const { context } = await m.getContextByTypeAndName({ typeName: PIPELINE_TYPE, contextName: name });
  if (!context) throw notFound(`No pipeline named ${JSON.stringify(name)}`);
  return context;
}

export async function getOrCreateStage(
  m: MlmdApi,
  pipeline: Context,
  stage: string | undefined,
  customProperties: Props = {},
): Promise<Context> {
  const short = checkNonEmpty(stage, 'stage_name');
  return getOrCreateStageNamed(m, pipeline, stageName(pipeline.name!, short), customProperties);
}

/**
 * The stage context named `fullName` (cmflib's merge_created_context: the name already carries the pipeline prefix),
 * created with `customProperties` when missing, and linked to `pipeline`. An existing stage is used unchanged.
 */
export async function getOrCreateStageNamed(
  m: MlmdApi,
  pipeline: Context,
  fullName: string,
  customProperties: Props = {},
): Promise<Context> {
  const context = await getOrCreateContext(
    m,
    STAGE_TYPE,
    STAGE_TYPE_PROPERTIES,
    fullName,
    { Pipeline_Stage: str(fullName) },
    customProperties,
  );
  // cmflib puts the link every time and ignores "already exists"; we only put it when missing.
  const { contexts } = await m.getParentContextsByContext({ contextId: context.id });
  if (!(contexts ?? []).some((c) => c.id === pipeline.id)) {
    await m.putParentContexts({ parentContexts: [{ childId: context.id, parentId: pipeline.id }] });
  }
  return context;
}

// ---------------------------------------------------------------- executions

/** A stored node ready to be put back whole (output-only fields dropped). */
export function forPut<T extends { type?: string; createTimeSinceEpoch?: bigint; lastUpdateTimeSinceEpoch?: bigint }>(
  node: T,
): T {
  const copy = { ...node };
  delete copy.type;
  delete copy.createTimeSinceEpoch;
  delete copy.lastUpdateTimeSinceEpoch;
  return copy;
}

export interface ExecutionScope {
  execution: Execution;
  stage: Context;
  pipeline: Context;
}

export async function executionById(m: MlmdApi, executionId: bigint | undefined): Promise<Execution> {
  if (executionId === undefined || executionId <= 0n)
    throw invalidArgument('execution_id must be a positive execution id');
  const [execution] = (await m.getExecutionsById({ executionIds: [executionId] })).executions ?? [];
  if (!execution) throw notFound(`No execution with id ${executionId}`);
  return execution;
}

/** An execution with the stage it is associated with and that stage's pipeline. */
export async function executionScope(m: MlmdApi, executionId: bigint | undefined): Promise<ExecutionScope> {
  const execution = await executionById(m, executionId);
  const stageId = intOf(execution.properties?.Context_ID);
  const pipelineId = intOf(execution.properties?.Pipeline_id);
  if (stageId === undefined || pipelineId === undefined) {
    throw invalidArgument(
      `Execution ${executionId} was not written by CMF (it lacks the Context_ID / Pipeline_id properties)`,
    );
  }
  const { contexts } = await m.getContextsById({ contextIds: [stageId, pipelineId] });
  const stage = contexts?.find((c) => c.id === stageId);
  const pipeline = contexts?.find((c) => c.id === pipelineId);
  if (!stage || !pipeline) throw notFound(`The stage or pipeline of execution ${executionId} no longer exists`);
  return { execution, stage, pipeline };
}

export interface CreateExecutionInput {
  pipelineName?: string;
  stageName?: string;
  executionType?: string;
  customProperties?: Props;
  cmd?: string;
  reuseExisting?: boolean;
  gitRepo?: string;
  gitStartCommit?: string;
  environment?: TrackedFile;
}

export interface TrackedFile {
  path?: string;
  hash?: string;
  remoteUrl?: string;
}

export async function createExecution(m: MlmdApi, r: CreateExecutionInput) {
  const pipeline = await pipelineByName(m, r.pipelineName);
  const stage = await getOrCreateStage(m, pipeline, r.stageName);
  const executionType = checkNonEmpty(r.executionType, 'execution_type');
  const stageFull = stage.name!;
  const properties: Props = {
    Context_Type: str(stageFull),
    Context_ID: int(stage.id!),
    Execution: str(r.cmd ?? ''),
    Execution_type_name: str(stageFull),
    Pipeline_Type: str(pipeline.name!),
    Pipeline_id: int(pipeline.id!),
    Git_Repo: str(r.gitRepo ?? ''),
    Git_Start_Commit: str(r.gitStartCommit ?? ''),
    Git_End_Commit: str(''),
  };
  // Validate the environment file before anything is written.
  const env = r.environment ? checkTracked(r.environment, 'environment') : undefined;

  let execution: Execution | undefined;
  if (r.reuseExisting) {
    const typeId = await typeIdOf(m, 'execution', stageFull, EXECUTION_TYPE_PROPERTIES);
    execution = (await m.getExecutionByTypeAndName({ typeName: stageFull, executionName: executionType })).execution;
    if (!execution) {
      const { executionIds } = await m.putExecutions({
        executions: [{ typeId, name: executionType, properties, customProperties: r.customProperties ?? {} }],
      });
      execution = (await m.getExecutionsById({ executionIds })).executions![0];
    }
  } else {
    const typeId = await typeIdOf(m, 'execution', executionType, EXECUTION_TYPE_PROPERTIES);
    const { executionIds } = await m.putExecutions({
      executions: [{ typeId, properties, customProperties: r.customProperties ?? {} }],
    });
    execution = (await m.getExecutionsById({ executionIds })).executions![0];
  }
  await m.putAttributionsAndAssociations({ associations: [{ contextId: stage.id, executionId: execution.id }] });

  // Execution_uuid: a fresh uuid1, comma-appended on a reused execution.
  const next = forPut(execution);
  const old = stringOf(next.properties?.Execution_uuid);
  next.properties = { ...next.properties, Execution_uuid: str(old ? `${old},${uuid1()}` : uuid1()) };
  // Then cmflib re-writes every caller custom property with its "update" conversion, plus Python_Env.
  const custom: Props = { ...next.customProperties };
  for (const [k, v] of Object.entries(r.customProperties ?? {})) custom[k] = updateValue(v);
  if (env) custom.Python_Env = str(env.path);
  next.customProperties = custom;
  await m.putExecutions({ executions: [next] });
  execution = await executionById(m, execution.id);

  const scope: ExecutionScope = { execution, stage, pipeline };
  const environment = env
    ? (await logFileArtifact(m, scope, 'Environment', env, 'input', {}, r.gitRepo ?? '')).artifact
    : undefined;
  return { execution, stage, pipeline, environment };
}

export async function updateExecution(
  m: MlmdApi,
  executionId: bigint | undefined,
  customProperties: Props = {},
): Promise<Execution> {
  const execution = forPut(await executionById(m, executionId));
  const custom: Props = { ...execution.customProperties };
  for (const [k, v] of Object.entries(customProperties)) custom[k] = updateValue(v);
  execution.customProperties = custom;
  await m.putExecutions({ executions: [execution] });
  return executionById(m, executionId);
}

export async function finalizeExecution(
  m: MlmdApi,
  executionId: bigint | undefined,
  gitEndCommit: string | undefined,
): Promise<Execution> {
  const execution = forPut(await executionById(m, executionId));
  execution.properties = { ...execution.properties, Git_End_Commit: str(gitEndCommit ?? '') };
  await m.putExecutions({ executions: [execution] });
  return executionById(m, executionId);
}

// ---------------------------------------------------------------- artifacts

function checkTracked(file: TrackedFile, what: string): Required<TrackedFile> {
  return {
    path: checkPath(file.path, `${what}.path`),
    hash: checkHash(file.hash, `${what}.hash`),
    remoteUrl: file.remoteUrl ?? '',
  };
}

async function artifactById(m: MlmdApi, id: bigint): Promise<Artifact> {
  return (await m.getArtifactsById({ artifactIds: [id] })).artifacts![0];
}

async function artifactsByUri(m: MlmdApi, uri: string): Promise<Artifact[]> {
  return (await m.getArtifactsByUri({ uris: [uri] })).artifacts ?? [];
}

/** New artifact + its event (no path) + attribution to the execution's stage. */
async function createArtifactWithEvent(
  m: MlmdApi,
  scope: ExecutionScope,
  typeName: ArtifactTypeName | 'Validation_output',
  artifact: { uri: string; name: string; properties: Props; customProperties: Props },
  eventType: Event_Type,
  declared: Declared,
): Promise<Artifact> {
  const typeId = await typeIdOf(m, 'artifact', typeName, declared);
  let artifactIds: bigint[] | undefined;
  try {
    ({ artifactIds } = await m.putArtifacts({ artifacts: [{ typeId, ...artifact }] }));
  } catch (e) {
    if (e instanceof MlmdError && e.code === Code.ALREADY_EXISTS) {
      throw new MlmdError(
        Code.ALREADY_EXISTS,
        `A ${typeName} artifact named ${JSON.stringify(artifact.name)} already exists`,
      );
    }
    throw e;
  }
  const id = artifactIds![0];
  await m.putEvents({
    events: [
      { artifactId: id, executionId: scope.execution.id, type: eventType, millisecondsSinceEpoch: BigInt(Date.now()) },
    ],
  });
  await m.putAttributionsAndAssociations({ attributions: [{ contextId: scope.stage.id, artifactId: id }] });
  return artifactById(m, id);
}

/** Events joining the execution and one artifact (read from the execution's side: an execution has few events, a
 * shared input artifact may have one per execution that ever read it). */
async function eventsBetween(m: MlmdApi, scope: ExecutionScope, artifactId: bigint) {
  const { events } = await m.getEventsByExecutionIDs({ executionIds: [scope.execution.id!] });
  return (events ?? []).filter((e) => e.artifactId === artifactId);
}

/**
 * Links the last artifact carrying `uri` to the execution with a one-step path keyed `key`, unless some event
 * already joins them (cmflib's link-existing helper; `always` is its dataslice variant without that check).
 */
async function linkExisting(
  m: MlmdApi,
  scope: ExecutionScope,
  uri: string,
  key: string,
  eventType: Event_Type,
  always = false,
): Promise<Artifact> {
  const all = await artifactsByUri(m, uri);
  const artifact = all[all.length - 1];
  if (!always && (await eventsBetween(m, scope, artifact.id!)).length > 0) return artifact;
  await m.putEvents({
    events: [
      {
        artifactId: artifact.id,
        executionId: scope.execution.id,
        type: eventType,
        path: { steps: [{ value: { $case: 'key', value: key } }] },
      },
    ],
  });
  return artifactById(m, artifact.id!);
}

/** cmflib's URL-append rule on the `url` property of a stored artifact, ready to put back. */
function appendUrl(artifact: Artifact, url: string): Artifact {
  const next = forPut(artifact);
  if (next.properties && 'url' in next.properties) {
    next.properties = { ...next.properties, url: str(appendedUrl(stringOf(next.properties.url), url)) };
  }
  return next;
}

/** cmflib's custom-property merge on a stored artifact, ready to put back. */
function mergeCustom(artifact: Artifact, custom: Props): Artifact {
  const next = forPut(artifact);
  next.customProperties = mergedCustomProperties(next.customProperties ?? {}, custom);
  return next;
}

const EVENT_TYPES = { input: Event_Type.INPUT, output: Event_Type.OUTPUT } as const;

/**
 * Dataset, Environment (and the shared path of the "path:hash" file artifacts): reuse by uri across types
 * (custom-property merge, URL append, link) or create with properties git_repo / Commit / url.
 */
async function logFileArtifact(
  m: MlmdApi,
  scope: ExecutionScope,
  typeName: 'Dataset' | 'Environment',
  file: Required<TrackedFile>,
  event: 'input' | 'output',
  customProperties: Props,
  gitRepo: string,
): Promise<{ artifact: Artifact; reused: boolean }> {
  const name = `${file.path}:${file.hash}`;
  const url = `${scope.pipeline.name}:${file.remoteUrl}`;
  const existing = await artifactsByUri(m, file.hash);
  if (existing.length > 0) {
    let first = existing[0];
    if (typeName === 'Dataset') first = mergeCustom(first, customProperties);
    await m.putArtifacts({ artifacts: [appendUrl(first, url)] });
    return { artifact: await linkExisting(m, scope, file.hash, name, EVENT_TYPES[event]), reused: true };
  }
  const artifact = await createArtifactWithEvent(
    m,
    scope,
    typeName,
    {
      uri: file.hash,
      name,
      properties: { git_repo: str(gitRepo), Commit: str(file.hash), url: str(url) },
      customProperties: typeName === 'Dataset' ? customProperties : {},
    },
    EVENT_TYPES[event],
    ARTIFACT_TYPES[typeName],
  );
  return { artifact, reused: false };
}

export interface LabelInput {
  path?: string;
  md5?: string;
  customProperties?: Props;
}

export async function logDataset(
  m: MlmdApi,
  r: {
    executionId?: bigint;
    file?: TrackedFile;
    event?: string;
    customProperties?: Props;
    gitRepo?: string;
    label?: LabelInput;
  },
) {
  const event = parseEvent(r.event);
  const file = checkTracked(r.file ?? {}, 'file');
  const label = r.label ? checkLabel(r.label) : undefined;
  const scope = await executionScope(m, r.executionId);
  const result = await logFileArtifact(m, scope, 'Dataset', file, event, r.customProperties ?? {}, r.gitRepo ?? '');
  const labelArtifact = label ? await logLabelIn(m, scope, label, file.hash, r.gitRepo ?? '') : undefined;
  return { ...result, label: labelArtifact };
}

export async function logPythonEnv(m: MlmdApi, r: { executionId?: bigint; file?: TrackedFile; gitRepo?: string }) {
  const file = checkTracked(r.file ?? {}, 'file');
  const scope = await executionScope(m, r.executionId);
  return logFileArtifact(m, scope, 'Environment', file, 'input', {}, r.gitRepo ?? '');
}

export async function logModel(
  m: MlmdApi,
  r: {
    executionId?: bigint;
    file?: TrackedFile;
    event?: string;
    modelFramework?: string;
    modelType?: string;
    modelName?: string;
    customProperties?: Props;
  },
) {
  const event = parseEvent(r.event);
  const file = checkTracked(r.file ?? {}, 'file');
  const scope = await executionScope(m, r.executionId);
  const url = `${scope.pipeline.name}:${file.remoteUrl}`;
  const existing = await artifactsByUri(m, file.hash);
  if (existing.length > 0) {
    // cmflib appends the URL on every artifact with that uri, then links (step key without the execution id).
    await m.putArtifacts({ artifacts: existing.map((a) => appendUrl(a, url)) });
    return {
      artifact: await linkExisting(m, scope, file.hash, `${file.path}:${file.hash}`, EVENT_TYPES[event]),
      reused: true,
    };
  }
  const orDefault = (s: string | undefined) => (s === undefined || s === '' ? 'Default' : s);
  const artifact = await createArtifactWithEvent(
    m,
    scope,
    'Model',
    {
      uri: file.hash,
      name: `${file.path}:${file.hash}:${scope.execution.id}`,
      properties: {
        model_framework: str(orDefault(r.modelFramework)),
        model_type: str(orDefault(r.modelType)),
        model_name: str(orDefault(r.modelName)),
        Commit: str(file.hash),
        url: str(url),
      },
      customProperties: r.customProperties ?? {},
    },
    EVENT_TYPES[event],
    ARTIFACT_TYPES.Model,
  );
  return { artifact, reused: false };
}

export async function logExecutionMetrics(
  m: MlmdApi,
  r: { executionId?: bigint; metricsName?: string; customProperties?: Props },
) {
  const metricsName = checkPath(r.metricsName, 'metrics_name');
  const scope = await executionScope(m, r.executionId);
  const uri = uuid1();
  const name = `${metricsName}:${uri}:${scope.execution.id}`;
  const artifact = await createArtifactWithEvent(
    m,
    scope,
    'Metrics',
    { uri, name, properties: { metrics_name: str(name) }, customProperties: r.customProperties ?? {} },
    Event_Type.OUTPUT,
    ARTIFACT_TYPES.Metrics,
  );
  return { artifact, reused: false };
}

/** cmf_artifacts/<first Execution_uuid>/<kind>/<name>: where cmflib writes step metrics and dataslices. */
export function artifactFilePath(execution: Execution, kind: 'metrics' | 'dataslice', name: string): string {
  const uuid0 = stringOf(execution.properties?.Execution_uuid).split(',')[0];
  return `${ARTIFACTS_PATH}/${uuid0}/${kind === 'metrics' ? METRICS_PATH : DATASLICE_PATH}/${name}`;
}

function checkFileAt(file: Required<TrackedFile>, expected: string, what: string): void {
  if (file.path !== expected) throw invalidArgument(`${what}: the file must be at ${expected}, not ${file.path}`);
}

export async function logStepMetrics(
  m: MlmdApi,
  r: { executionId?: bigint; metricsName?: string; file?: TrackedFile },
) {
  const metricsName = checkPath(r.metricsName, 'metrics_name');
  if (metricsName.includes('/')) throw invalidArgument('metrics_name must not contain "/"');
  const file = checkTracked(r.file ?? {}, 'file');
  const scope = await executionScope(m, r.executionId);
  checkFileAt(file, artifactFilePath(scope.execution, 'metrics', metricsName), 'file.path');
  // Always a new artifact (no reuse by uri), named path:hash:execId:uuid1, without custom properties.
  const artifact = await createArtifactWithEvent(
    m,
    scope,
    'Step_Metrics',
    {
      uri: file.hash,
      name: `${file.path}:${file.hash}:${scope.execution.id}:${uuid1()}`,
      properties: { Commit: str(file.hash), url: str(`${scope.pipeline.name}:${file.remoteUrl}`) },
      customProperties: {},
    },
    Event_Type.OUTPUT,
    ARTIFACT_TYPES.Step_Metrics,
  );
  return { artifact, reused: false };
}

export async function logDataslice(
  m: MlmdApi,
  r: { executionId?: bigint; datasliceName?: string; file?: TrackedFile; customProperties?: Props; gitRepo?: string },
) {
  const sliceName = checkPath(r.datasliceName, 'dataslice_name');
  if (sliceName.includes('/')) throw invalidArgument('dataslice_name must not contain "/"');
  const file = checkTracked(r.file ?? {}, 'file');
  const scope = await executionScope(m, r.executionId);
  checkFileAt(file, artifactFilePath(scope.execution, 'dataslice', sliceName), 'file.path');
  const name = `${file.path}:${file.hash}`;
  if ((await artifactsByUri(m, file.hash)).length > 0) {
    // cmflib's dataslice reuse: always an INPUT event with a path step. A second identical link would violate
    // MLMD's event key, so we skip it when the same link already exists (cmflib fails there).
    const all = await artifactsByUri(m, file.hash);
    const last = all[all.length - 1];
    const linked = (await eventsBetween(m, scope, last.id!)).some((e) => e.type === Event_Type.INPUT);
    const artifact = linked ? last : await linkExisting(m, scope, file.hash, name, Event_Type.INPUT, true);
    return { artifact, reused: true };
  }
  const artifact = await createArtifactWithEvent(
    m,
    scope,
    'Dataslice',
    {
      uri: file.hash,
      name,
      properties: {
        git_repo: str(r.gitRepo ?? ''),
        Commit: str(file.hash),
        url: str(`${scope.pipeline.name}:${file.remoteUrl}`),
      },
      customProperties: r.customProperties ?? {},
    },
    Event_Type.OUTPUT,
    ARTIFACT_TYPES.Dataslice,
  );
  return { artifact, reused: false };
}

function checkLabel(label: LabelInput): Required<LabelInput> {
  return {
    path: checkPath(label.path, 'label.path'),
    md5: checkHash(label.md5, 'label.md5', false),
    customProperties: label.customProperties ?? {},
  };
}

async function logLabelIn(
  m: MlmdApi,
  scope: ExecutionScope,
  label: Required<LabelInput>,
  datasetHash: string,
  gitRepo: string,
): Promise<Artifact> {
  const datasets = await artifactsByUri(m, datasetHash);
  if (datasets.length === 0) throw notFound(`No artifact with uri ${datasetHash} (the labelled dataset) exists`);
  const key = `${label.path}:${label.md5}`;
  await m.putArtifacts({ artifacts: [mergeCustom(datasets[0], { labels: str(label.path), labels_uri: str(key) })] });
  const custom: Props = { ...label.customProperties, dataset_uri: str(datasetHash) };
  const existing = await artifactsByUri(m, label.md5);
  if (existing.length > 0) {
    const merged = mergeCustom(existing[0], custom);
    await m.putArtifacts({ artifacts: [appendUrl(merged, key)] });
    return linkExisting(m, scope, label.md5, key, Event_Type.INPUT);
  }
  return createArtifactWithEvent(
    m,
    scope,
    'Label',
    {
      uri: label.md5,
      name: key,
      properties: { git_repo: str(gitRepo), Commit: str(label.md5), url: str(key) },
      customProperties: custom,
    },
    Event_Type.INPUT,
    ARTIFACT_TYPES.Label,
  );
}

export async function logLabel(
  m: MlmdApi,
  r: { executionId?: bigint; label?: LabelInput; datasetHash?: string; gitRepo?: string },
) {
  const label = checkLabel(r.label ?? {});
  const datasetHash = checkHash(r.datasetHash, 'dataset_hash');
  const scope = await executionScope(m, r.executionId);
  return { artifact: await logLabelIn(m, scope, label, datasetHash, r.gitRepo ?? ''), reused: false };
}

/**
 * cmflib's interchange JSON out of the store: CmfQuery.dumptojson (one pipeline, optionally one execution: what
 * cmf-server's pull answers and `cmf metadata push` sends) and extract_to_json (every pipeline, optionally only what
 * changed since a time: what a peer's sync pulls). The shape and key order are cmflib's, written as Python's
 * json.dumps writes them.
 *
 * Set-based: the stages of each pipeline and the executions of each stage are listed, then the events of all those
 * executions and the artifacts they name are read with one query each, whatever the number of executions.
 */
import type { Artifact, Context, Event, Execution, Value } from '../../generated/ml_metadata/proto/metadata_store';
import { notFound } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import { PyFloat, pyJsonDumps, type PyJson } from '../python-text';
import { checkNonEmpty, PIPELINE_TYPE, stringOf } from './model';

const byId = <T extends { id?: bigint }>(a: T, b: T) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0);

function plainValue(v: Value): PyJson {
  const x = v.value;
  if (x?.$case === 'stringValue') return x.value;
  if (x?.$case === 'intValue') return x.value;
  if (x?.$case === 'doubleValue') return new PyFloat(x.value);
  return new PyFloat(0);
}

function plainMap(
  props: { [k: string]: Value } | undefined,
  rename: Record<string, string> = {},
): { [k: string]: PyJson } {
  const out: { [k: string]: PyJson } = {};
  for (const key of Object.keys(props ?? {}).sort()) out[rename[key] ?? key] = plainValue(props![key]);
  return out;
}

type Node = Context | Execution | Artifact;

/** CmfQuery's attribute export: preset keys first, then the node's non-empty fields in its fixed order. */
function attributes(node: Node, preset: { [k: string]: PyJson }, hasUri: boolean): { [k: string]: PyJson } {
  const out: { [k: string]: PyJson } = { ...preset };
  const set = (k: string, v: PyJson | undefined) => {
    if (v === undefined || v === '') return;
    out[k] = v;
  };
  set('create_time_since_epoch', node.createTimeSinceEpoch ?? 0n);
  out.custom_properties = plainMap(node.customProperties, { type: 'user_type' });
  set('id', node.id ?? 0n);
  set('last_update_time_since_epoch', node.lastUpdateTimeSinceEpoch ?? 0n);
  set('name', node.name ?? '');
  out.properties = plainMap(node.properties);
  set('type', node.type ?? '');
  set('type_id', node.typeId ?? 0n);
  if (hasUri) set('uri', (node as Artifact).uri ?? '');
  return out;
}

export interface ExportFilter {
  /** Only executions whose Execution_uuid list holds it (stages stay, possibly empty, as cmflib writes them). */
  execUuid?: string;
  /** Only executions updated after this time (ms), and stages / pipelines that have some or were updated after it. */
  since?: bigint;
}

/** A pipeline's stages and their executions, in id order. */
interface PipelineTree {
  pipeline: Context;
  stages: Array<{ stage: Context; executions: Execution[] }>;
}

async function readTree(m: MlmdApi, pipeline: Context, filter: ExportFilter): Promise<PipelineTree> {
  const stages: PipelineTree['stages'] = [];
  const children = ((await m.getChildrenContextsByContext({ contextId: pipeline.id })).contexts ?? []).sort(byId);
  for (const stage of children) {
    let executions = ((await m.getExecutionsByContext({ contextId: stage.id })).executions ?? []).sort(byId);
    if (filter.execUuid !== undefined) {
      executions = executions.filter((x) =>
        stringOf(x.properties?.Execution_uuid).split(',').includes(filter.execUuid!),
      );
    }
    if (filter.since !== undefined) executions = executions.filter((x) => x.lastUpdateTimeSinceEpoch! > filter.since!);
    if (filter.since !== undefined && executions.length === 0 && !(stage.lastUpdateTimeSinceEpoch! > filter.since)) {
      continue;
    }
    stages.push({ stage, executions });
  }
  return { pipeline, stages };
}

/** The JSON document of the given pipelines (each with its stages and executions already chosen). */
async function toDocument(m: MlmdApi, trees: readonly PipelineTree[]): Promise<string> {
  const executionIds = trees.flatMap((t) => t.stages.flatMap((s) => s.executions.map((x) => x.id!)));
  const eventsByExecution = new Map<bigint, Event[]>();
  const artifacts = new Map<bigint, Artifact>();
  if (executionIds.length > 0) {
    const { events } = await m.getEventsByExecutionIDs({ executionIds });
    for (const e of events ?? []) {
      let list = eventsByExecution.get(e.executionId!);
      if (!list) eventsByExecution.set(e.executionId!, (list = []));
      list.push(e);
    }
    const artifactIds = [...new Set((events ?? []).map((e) => e.artifactId!))];
    if (artifactIds.length > 0) {
      for (const a of (await m.getArtifactsById({ artifactIds })).artifacts ?? []) artifacts.set(a.id!, a);
    }
  }
  // Each artifact's attributes are built once and shared by the events naming it.
  const artifactJson = new Map<bigint, PyJson>();
  const artifactAttributes = (id: bigint): PyJson => {
    let json = artifactJson.get(id);
    if (json === undefined) {
      const a = artifacts.get(id)!;
      artifactJson.set(id, (json = attributes(a, { type: a.type ?? '' }, true)));
    }
    return json;
  };
  const pipelines = trees.map(({ pipeline, stages }) =>
    attributes(
      pipeline,
      {
        stages: stages.map(({ stage, executions }) =>
          attributes(
            stage,
            {
              executions: executions.map((x) => {
                const events = (eventsByExecution.get(x.id!) ?? []).map((e) => ({
                  type: BigInt(e.type ?? 0),
                  artifact: artifactAttributes(e.artifactId!),
                }));
                return attributes(x, { type: x.type ?? '', name: x.name ?? '', events }, false);
              }),
            },
            false,
          ),
        ),
      },
      false,
    ),
  );
  return pyJsonDumps({ Pipeline: pipelines });
}

async function pipelinesNamed(m: MlmdApi, name?: string): Promise<Context[]> {
  const { contexts } = await m.getContextsByType({ typeName: PIPELINE_TYPE });
  return (contexts ?? []).filter((c) => name === undefined || c.name === name).sort(byId);
}

/** CmfQuery.dumptojson(pipeline_name, exec_uuid). An unknown pipeline is NOT_FOUND. */
export async function dumpToJson(m: MlmdApi, pipelineName: string | undefined, execUuid?: string): Promise<string> {
  const name = checkNonEmpty(pipelineName, 'pipeline_name');
  const pipelines = await pipelinesNamed(m, name);
  if (pipelines.length === 0) throw notFound(`No pipeline named ${JSON.stringify(name)}`);
  const trees = [];
  for (const p of pipelines) trees.push(await readTree(m, p, { execUuid }));
  return toDocument(m, trees);
}

/**
 * CmfQuery.extract_to_json(last_sync_time): every pipeline; with a time, only executions updated after it, and the
 * stages and pipelines that keep some or were themselves updated after it.
 */
export async function extractToJson(m: MlmdApi, since?: bigint): Promise<string> {
  const trees: PipelineTree[] = [];
  for (const p of await pipelinesNamed(m)) {
    const tree = await readTree(m, p, { since: since || undefined });
    if (since && tree.stages.length === 0 && !(p.lastUpdateTimeSinceEpoch! > since)) continue;
    trees.push(tree);
  }
  return toDocument(m, trees);
}

export interface PullSelection {
  /** One pipeline, which must exist; undefined: every pipeline. */
  pipelineName?: string;
  /** With pipelineName: only the executions whose Execution_uuid list holds it. */
  execUuid?: string;
  /** Without pipelineName: only what changed after this time (ms). */
  since?: bigint;
}

/** A pulled document, or the word cmf-server answers when the exec_uuid names none of the pipeline's executions. */
export type Pulled = { json: string } | { noExecUuid: true };

/**
 * cmf-server's pull (its /mlmd_pull): one pipeline, which must exist (NOT_FOUND in cmf-server's words), optionally
 * one execution, which must be one of the pipeline's; or every pipeline changed since a time (a peer's sync).
 */
export async function pullMetadata(m: MlmdApi, selection: PullSelection): Promise<Pulled> {
  const { pipelineName, execUuid } = selection;
  if (pipelineName === undefined) return { json: await extractToJson(m, selection.since) };
  const { context: pipeline } = await m.getContextByTypeAndName({ typeName: PIPELINE_TYPE, contextName: pipelineName });
  if (!pipeline) throw notFound(`Pipeline ${pipelineName} not found.`);
  if (execUuid !== undefined) {
    const tree = await readTree(m, pipeline, { execUuid });
    if (tree.stages.every((s) => s.executions.length === 0)) return { noExecUuid: true };
    if (execUuid !== '') return { json: await toDocument(m, [tree]) };
  }
  return { json: await dumpToJson(m, pipelineName) };
}

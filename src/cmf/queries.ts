/**
 * CMF reads, equivalent to cmflib's CmfQuery public methods, on an MlmdApi bound to one read transaction. Results
 * are in id order; lists page with an offset token.
 */
import {
  Event_Type,
  type Artifact,
  type Context,
  type Event,
  type Execution,
} from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument, notFound, whenNotFound } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import { checkNonEmpty, intOf, PIPELINE_TYPE } from './model';
import { pipelineByName } from './records';

// ---------------------------------------------------------------- paging

export interface PageRequest {
  pageSize?: number;
  pageToken?: string;
}

/** Offsets in a base64 token; page_size 0 (or no page) returns everything. */
export function paginate<T>(items: readonly T[], page: PageRequest | undefined): { items: T[]; nextPageToken: string } {
  const size = page?.pageSize ?? 0;
  if (size < 0) throw invalidArgument('page_size must not be negative');
  let offset = 0;
  if (page?.pageToken) {
    const text = Buffer.from(page.pageToken, 'base64url').toString('utf8');
    const match = /^cmf-offset:(\d+)$/.exec(text);
    if (!match) throw invalidArgument('invalid page_token');
    offset = Number(match[1]);
  }
  if (size === 0) return { items: items.slice(offset), nextPageToken: '' };
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`cmf-offset:${offset + size}`).toString('base64url') : '';
  return { items: slice, nextPageToken: next };
}

// ---------------------------------------------------------------- basics

const byId = <T extends { id?: bigint }>(a: T, b: T) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0);

export async function pipelineNames(m: MlmdApi): Promise<string[]> {
  const { contexts } = await m.getContextsByType({ typeName: PIPELINE_TYPE });
  return (contexts ?? []).sort(byId).map((c) => c.name!);
}

export async function pipelineStages(m: MlmdApi, pipelineName: string | undefined): Promise<Context[]> {
  const pipeline = await pipelineByName(m, pipelineName);
  const { contexts } = await m.getChildrenContextsByContext({ contextId: pipeline.id });
  return (contexts ?? []).sort(byId);
}

export async function executionsInStage(m: MlmdApi, stageName: string | undefined): Promise<Execution[]> {
  const name = checkNonEmpty(stageName, 'stage_name');
  const { context } = await m.getContextByTypeAndName({ typeName: 'Pipeline_Stage', contextName: name });
  if (!context) throw notFound(`No stage named ${JSON.stringify(name)}`);
  const { executions } = await m.getExecutionsByContext({ contextId: context.id });
  return (executions ?? []).sort(byId);
}

/** The artifact with exactly this name, whatever its type (cmflib scans all artifacts). */
export async function artifactByName(m: MlmdApi, artifactName: string | undefined): Promise<Artifact> {
  const name = checkNonEmpty(artifactName, 'artifact_name');
  const { artifactTypes } = await m.getArtifactTypes({});
  const found: Artifact[] = [];
  for (const t of artifactTypes ?? []) {
    const { artifact } = await m.getArtifactByTypeAndName({ typeName: t.name, artifactName: name });
    if (artifact) found.push(artifact);
  }
  if (found.length === 0) throw notFound(`No artifact named ${JSON.stringify(name)}`);
  return found.sort(byId)[0];
}

async function eventsOfExecutions(m: MlmdApi, ids: readonly bigint[]): Promise<Event[]> {
  if (ids.length === 0) return [];
  return (await m.getEventsByExecutionIDs({ executionIds: [...ids] })).events ?? [];
}

async function eventsOfArtifacts(m: MlmdApi, ids: readonly bigint[]): Promise<Event[]> {
  if (ids.length === 0) return [];
  return (await m.getEventsByArtifactIDs({ artifactIds: [...ids] })).events ?? [];
}

async function artifactsById(m: MlmdApi, ids: Iterable<bigint>): Promise<Artifact[]> {
  const list = [...new Set(ids)];
  if (list.length === 0) return [];
  return ((await m.getArtifactsById({ artifactIds: list })).artifacts ?? []).sort(byId);
}

async function executionsById(m: MlmdApi, ids: Iterable<bigint>): Promise<Execution[]> {
  const list = [...new Set(ids)];
  if (list.length === 0) return [];
  return ((await m.getExecutionsById({ executionIds: list })).executions ?? []).sort(byId);
}

const eventName = (type: Event_Type | undefined) => (type === Event_Type.INPUT ? 'INPUT' : 'OUTPUT');

/** One row per event of the execution, in event order. */
export async function artifactsOfExecution(m: MlmdApi, executionId: bigint | undefined) {
  if (executionId === undefined || executionId <= 0n)
    throw invalidArgument('execution_id must be a positive execution id');
  const found = (await m.getExecutionsById({ executionIds: [executionId] })).executions ?? [];
  if (found.length === 0) throw notFound(`No execution with id ${executionId}`);
  const events = await eventsOfExecutions(m, [executionId]);
  const artifacts = new Map(
    (
      await artifactsById(
        m,
        events.map((e) => e.artifactId!),
      )
    ).map((a) => [a.id!, a]),
  );
  return events.map((e) => ({ artifact: artifacts.get(e.artifactId!)!, event: eventName(e.type) }));
}

export async function executionsOfArtifact(m: MlmdApi, artifactName: string | undefined) {
  const artifact = await artifactByName(m, artifactName);
  const events = await eventsOfArtifacts(m, [artifact.id!]);
  const executions = new Map(
    (
      await executionsById(
        m,
        events.map((e) => e.executionId!),
      )
    ).map((x) => [x.id!, x]),
  );
  const rows = [];
  for (const e of events) {
    const execution = executions.get(e.executionId!)!;
    const { contexts } = await m
      .getContextsByExecution({ executionId: e.executionId })
      .catch(whenNotFound({ contexts: [] as Context[] }));
    const stage = contexts?.[0];
    const parents = stage ? ((await m.getParentContextsByContext({ contextId: stage.id })).contexts ?? []) : [];
    const typeName = execution.properties?.Execution_type_name;
    rows.push({
      event: eventName(e.type),
      execution,
      executionTypeName: typeName?.value?.$case === 'stringValue' ? typeName.value.value : '',
      stage: stage?.name ?? '',
      pipeline: parents[0]?.name ?? '',
    });
  }
  return rows;
}

// ---------------------------------------------------------------- lineage

function samePipeline(pipelineId: bigint | undefined) {
  return (x: Execution) => !pipelineId || intOf(x.properties?.Pipeline_id) === pipelineId;
}

async function executionsLinked(
  m: MlmdApi,
  artifactIds: readonly bigint[],
  type: Event_Type,
  pipelineId?: bigint,
): Promise<bigint[]> {
  const ids = (await eventsOfArtifacts(m, artifactIds)).filter((e) => e.type === type).map((e) => e.executionId!);
  const executions = await executionsById(m, ids);
  return executions.filter(samePipeline(pipelineId)).map((x) => x.id!);
}

async function artifactsLinked(m: MlmdApi, executionIds: readonly bigint[], type: Event_Type): Promise<bigint[]> {
  return [
    ...new Set((await eventsOfExecutions(m, executionIds)).filter((e) => e.type === type).map((e) => e.artifactId!)),
  ];
}

type Direction = 'parents' | 'children';

/** One hop: children = outputs of executions that consumed the artifacts; parents = inputs of their producers. */
async function hop(
  m: MlmdApi,
  artifactIds: readonly bigint[],
  direction: Direction,
  pipelineId?: bigint,
): Promise<bigint[]> {
  if (direction === 'children') {
    return artifactsLinked(m, await executionsLinked(m, artifactIds, Event_Type.INPUT, pipelineId), Event_Type.OUTPUT);
  }
  return artifactsLinked(m, await executionsLinked(m, artifactIds, Event_Type.OUTPUT, pipelineId), Event_Type.INPUT);
}

/** Related artifact ids: one hop, or the closure (breadth-first, each artifact visited once). */
async function relatedArtifactIds(
  m: MlmdApi,
  start: bigint,
  direction: Direction,
  transitive: boolean,
  pipelineId?: bigint,
): Promise<bigint[]> {
  const first = await hop(m, [start], direction, pipelineId);
  if (!transitive) return first;
  const seen = new Set<bigint>(first);
  let frontier = first;
  while (frontier.length > 0) {
    const next = (await hop(m, frontier, direction, pipelineId)).filter((id) => !seen.has(id));
    for (const id of next) seen.add(id);
    frontier = next;
  }
  return [...seen];
}

export async function lineageArtifacts(
  m: MlmdApi,
  artifactName: string | undefined,
  direction: Direction,
  transitive: boolean,
  pipelineId?: bigint,
): Promise<Artifact[]> {
  const artifact = await artifactByName(m, artifactName);
  return artifactsById(m, await relatedArtifactIds(m, artifact.id!, direction, transitive, pipelineId));
}

/**
 * Executions around an artifact. Parents, one hop: its producers; transitive (CmfQuery.get_all_parent_executions):
 * the producers of all its ancestor artifacts. Children, one hop: its consumers; transitive: the consumers of it
 * and of all its descendant artifacts.
 */
export async function lineageExecutions(
  m: MlmdApi,
  artifactName: string | undefined,
  direction: Direction,
  transitive: boolean,
  pipelineId?: bigint,
): Promise<Execution[]> {
  const artifact = await artifactByName(m, artifactName);
  if (direction === 'parents') {
    const ids = transitive
      ? await executionsLinked(
          m,
          await relatedArtifactIds(m, artifact.id!, 'parents', true, pipelineId),
          Event_Type.OUTPUT,
          pipelineId,
        )
      : await executionsLinked(m, [artifact.id!], Event_Type.OUTPUT, pipelineId);
    return executionsById(m, ids);
  }
  const artifactIds = transitive
    ? [artifact.id!, ...(await relatedArtifactIds(m, artifact.id!, 'children', true, pipelineId))]
    : [artifact.id!];
  return executionsById(m, await executionsLinked(m, artifactIds, Event_Type.INPUT, pipelineId));
}

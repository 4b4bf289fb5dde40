/**
 * The reads the cmf-server views share: a pipeline with its stages and executions, the events of those executions and
 * the artifacts they name, read set-based (its executions per stage, then events and artifacts with one query each).
 */
import type { Artifact, Context, Event, Execution, Value } from '../../generated/ml_metadata/proto/metadata_store';
import { notFound } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import { PIPELINE_TYPE, pyStrOf } from './model';

export const byId = <T extends { id?: bigint }>(a: T, b: T) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A pipeline with its stages and their executions, the events of those executions and the artifacts they name. */
export interface PipelineView {
  pipeline: Context;
  stages: Context[];
  executions: Execution[];
  stageOf: Map<bigint, Context>;
  events: Event[];
  artifacts: Map<bigint, Artifact>;
}

export async function pipelineContext(m: MlmdApi, name: string): Promise<Context> {
  const { context } = await m.getContextByTypeAndName({ typeName: PIPELINE_TYPE, contextName: name });
  if (!context) throw notFound(`Pipeline ${name} not found.`);
  return context;
}

export async function readPipeline(m: MlmdApi, name: string): Promise<PipelineView> {
  const pipeline = await pipelineContext(m, name);
  const stages = ((await m.getChildrenContextsByContext({ contextId: pipeline.id })).contexts ?? []).sort(byId);
  const executions: Execution[] = [];
  const stageOf = new Map<bigint, Context>();
  for (const stage of stages) {
    for (const x of ((await m.getExecutionsByContext({ contextId: stage.id })).executions ?? []).sort(byId)) {
      if (stageOf.has(x.id!)) continue;
      stageOf.set(x.id!, stage);
      executions.push(x);
    }
  }
  const events =
    executions.length === 0
      ? []
      : ((await m.getEventsByExecutionIDs({ executionIds: executions.map((x) => x.id!) })).events ?? []);
  const artifacts = await artifactsById(
    m,
    events.map((e) => e.artifactId!),
  );
  return { pipeline, stages, executions, stageOf, events, artifacts };
}

export async function artifactsById(m: MlmdApi, ids: Iterable<bigint>): Promise<Map<bigint, Artifact>> {
  const list = [...new Set(ids)];
  if (list.length === 0) return new Map();
  return new Map(((await m.getArtifactsById({ artifactIds: list })).artifacts ?? []).map((a) => [a.id!, a]));
}

export async function executionsById(m: MlmdApi, ids: Iterable<bigint>): Promise<Map<bigint, Execution>> {
  const list = [...new Set(ids)];
  if (list.length === 0) return new Map();
  return new Map(((await m.getExecutionsById({ executionIds: list })).executions ?? []).map((x) => [x.id!, x]));
}

/** A value as cmflib's data frames hold it: string, int, otherwise the double. */
export function frameValue(v: Value): Json {
  const x = v.value;
  if (x?.$case === 'stringValue') return x.value;
  if (x?.$case === 'intValue') return Number(x.value);
  if (x?.$case === 'doubleValue') return x.value;
  return 0;
}

/** A value as cmf-server's SQL renders it: COALESCE(string, bool, double, int ...) cast to text. */
export function sqlText(v: Value): string {
  const x = v.value;
  if (x?.$case === 'boolValue') return x.value ? 'true' : 'false';
  return pyStrOf(v);
}

/** Events of the given artifacts (across every pipeline), grouped by artifact. */
export async function eventsOfArtifacts(m: MlmdApi, ids: readonly bigint[]): Promise<Event[]> {
  if (ids.length === 0) return [];
  return (await m.getEventsByArtifactIDs({ artifactIds: [...ids] })).events ?? [];
}

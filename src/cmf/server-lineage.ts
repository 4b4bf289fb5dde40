/**
 * cmf-server's three "tangled tree" lineage views of a pipeline (artifacts, executions upstream of one execution,
 * artifacts and executions together) and its list of executions, computed from the pipeline's records with
 * set-based reads. Node labels and the order of nodes within a layer follow cmf-server's, which its UI draws from.
 */
import { Event_Type, type Artifact, type Execution } from '../../generated/ml_metadata/proto/metadata_store';
import type { MlmdApi } from '../mlmd/api';
import { stringOf } from './model';
import {
  artifactsById,
  byId,
  eventsOfArtifacts,
  executionsById,
  type PipelineView,
  readPipeline,
} from './server-reads';

/** Artifact types cmf-server leaves out of lineage views. */
const EXCLUDED_FROM_LINEAGE = new Set(['Environment', 'Label']);

/** The short artifact labels of cmf-server's lineage views (file:hash4, metrics:uuid4:exec, ...). */
export function shortArtifactName(name: string, type: string): string {
  try {
    const parts = name.split(':');
    switch (type) {
      case 'Metrics':
        return `${parts[0]}:${parts[1].slice(0, 4)}:${parts[2]}`;
      case 'Model':
        return `${parts[parts.length - 3].split('/').pop()}:${parts[parts.length - 2].slice(0, 4)}`;
      case 'Dataset': {
        const segments = parts[0].split('/');
        const base =
          segments[segments.length - 1] !== '' ? segments[segments.length - 1] : segments[segments.length - 2];
        return `${base}:${parts[parts.length - 1].slice(0, 4)}`;
      }
      case 'Dataslice': {
        const rest = name.slice(name.indexOf('/') + 1).split(':');
        return `${rest[0]}:${rest[rest.length - 1].slice(0, 4)}`;
      }
      case 'Step_Metrics': {
        const rest = name.slice(name.indexOf('/') + 1);
        const head = rest.split(':')[0];
        return `${head}:${parts[parts.length - 3].slice(0, 4)}:${parts[parts.length - 2]}:${parts[parts.length - 1].slice(0, 4)}`;
      }
      default:
        return name;
    }
  } catch {
    return name;
  }
}

export interface TangledNode {
  id: string;
  parents: string[];
}

/**
 * cmf-server's "tangled tree" layout: nodes in topological order (Kahn's algorithm over child -> parents), grouped
 * into layers by their sorted parent set, each layer in first-seen order.
 */
function tangledTree<K>(
  parentsOf: Map<K, K[]>,
  label: (k: K) => string,
  compare: (a: K, b: K) => number,
): TangledNode[][] {
  const inDegree = new Map<K, number>();
  const children = new Map<K, K[]>();
  for (const [node, parents] of parentsOf) {
    if (!inDegree.has(node)) inDegree.set(node, 0);
    for (const p of parents) {
      if (!children.has(p)) children.set(p, []);
      children.get(p)!.push(node);
      inDegree.set(node, (inDegree.get(node) ?? 0) + 1);
    }
  }
  const queue = [...parentsOf.keys()].filter((k) => inDegree.get(k) === 0);
  const layers = new Map<string, TangledNode[]>();
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    const parents = parentsOf.get(node);
    if (parents) {
      const key = [...parents].sort(compare).map(String).join('\u0000');
      if (!layers.has(key)) layers.set(key, []);
      layers.get(key)!.push({ id: label(node), parents: parents.map(label) });
    }
    for (const child of children.get(node) ?? []) {
      inDegree.set(child, inDegree.get(child)! - 1);
      if (inDegree.get(child) === 0) queue.push(child);
    }
  }
  return [...layers.values()];
}

const compareBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The artifacts a lineage view shows, in cmf-server's order (which decides the order within its layers): grouped by
 * type, types in the order they first appear among the pipeline's artifacts by id, then by id.
 */
function lineageOrder(view: PipelineView): Artifact[] {
  const all = [...view.artifacts.values()].sort(byId);
  const typeRank = new Map<string, number>();
  for (const a of all) if (!typeRank.has(a.type ?? '')) typeRank.set(a.type ?? '', typeRank.size);
  return all
    .filter((a) => !EXCLUDED_FROM_LINEAGE.has(a.type ?? ''))
    .sort((a, b) => typeRank.get(a.type ?? '')! - typeRank.get(b.type ?? '')! || byId(a, b));
}

/** /artifact-lineage/tangled-tree/{pipeline}: each artifact's one-hop parent artifacts (inputs of its producers). */
export async function artifactLineage(m: MlmdApi, pipelineName: string): Promise<TangledNode[][]> {
  const view = await readPipeline(m, pipelineName);
  const shown = lineageOrder(view);
  const producers = new Map<bigint, bigint[]>();
  for (const e of await eventsOfArtifacts(
    m,
    shown.map((a) => a.id!),
  )) {
    if (e.type !== Event_Type.OUTPUT) continue;
    if (!producers.has(e.artifactId!)) producers.set(e.artifactId!, []);
    producers.get(e.artifactId!)!.push(e.executionId!);
  }
  const producerIds = [...new Set([...producers.values()].flat())];
  const inputsOf = new Map<bigint, bigint[]>();
  if (producerIds.length > 0) {
    for (const e of (await m.getEventsByExecutionIDs({ executionIds: producerIds })).events ?? []) {
      if (e.type !== Event_Type.INPUT) continue;
      if (!inputsOf.has(e.executionId!)) inputsOf.set(e.executionId!, []);
      inputsOf.get(e.executionId!)!.push(e.artifactId!);
    }
  }
  const parentArtifacts = await artifactsById(m, [...inputsOf.values()].flat());
  const label = new Map<bigint, string>();
  const parentsOf = new Map<bigint, bigint[]>();
  for (const a of shown) {
    label.set(a.id!, shortArtifactName(a.name ?? '', a.type ?? ''));
    const parents = new Set<bigint>();
    for (const x of producers.get(a.id!) ?? []) for (const p of inputsOf.get(x) ?? []) parents.add(p);
    parentsOf.set(
      a.id!,
      [...parents].filter((p) => !EXCLUDED_FROM_LINEAGE.has(parentArtifacts.get(p)?.type ?? '')).sort(compareBig),
    );
  }
  for (const p of parentArtifacts.values())
    if (!label.has(p.id!)) label.set(p.id!, shortArtifactName(p.name ?? '', p.type ?? ''));
  return tangledTree(parentsOf, (k) => label.get(k) ?? String(k), compareBig);
}

/** cmf-server's execution label: `<stage part after the pipeline>_<first 4 characters of the uuid>`. */
function executionLabel(x: Execution): string {
  const typeName = stringOf(x.properties?.Execution_type_name);
  const afterSlash = typeName.includes('/') ? typeName.slice(typeName.indexOf('/') + 1) : typeName;
  return `${afterSlash}_${stringOf(x.properties?.Execution_uuid).split('-')[0].slice(0, 4)}`;
}

/** /list-of-executions/{pipeline}: `<stage>_<uuid4>` of every execution. */
export async function executionList(m: MlmdApi, pipelineName: string): Promise<string[]> {
  const view = await readPipeline(m, pipelineName);
  return view.executions.map((x) => {
    const ctx = stringOf(x.properties?.Context_Type);
    return `${ctx.slice(ctx.indexOf('/') + 1)}_${stringOf(x.properties?.Execution_uuid).split('-')[0].slice(0, 4)}`;
  });
}

/**
 * /execution-lineage/tangled-tree/{uuid4}/{pipeline}: the executions upstream of the one whose uuid starts with
 * `uuid4` (producers of its inputs, transitively, within the pipeline).
 */
export async function executionLineage(
  m: MlmdApi,
  uuid4: string,
  pipelineName: string,
): Promise<TangledNode[][] | { error: string }> {
  const view = await readPipeline(m, pipelineName);
  const start = view.executions.find((x) => stringOf(x.properties?.Execution_uuid).slice(0, 4) === uuid4);
  if (!start) return { error: `uuid '${uuid4}' does not match any execution in pipeline '${pipelineName}'` };
  const inPipeline = (x: Execution | undefined) =>
    x !== undefined && x.properties?.Pipeline_id?.value?.value === view.pipeline.id;
  const known = new Map(view.executions.map((x) => [x.id!, x]));
  const parentsOf = new Map<bigint, bigint[]>();
  let frontier = [start.id!];
  while (frontier.length > 0) {
    const inputs = ((await m.getEventsByExecutionIDs({ executionIds: frontier })).events ?? []).filter(
      (e) => e.type === Event_Type.INPUT,
    );
    const producerEvents = (await eventsOfArtifacts(m, [...new Set(inputs.map((e) => e.artifactId!))])).filter(
      (e) => e.type === Event_Type.OUTPUT,
    );
    for (const [id, x] of await executionsById(
      m,
      producerEvents.map((e) => e.executionId!).filter((id) => !known.has(id)),
    )) {
      known.set(id, x);
    }
    const next: bigint[] = [];
    for (const x of frontier) {
      const artifacts = new Set(inputs.filter((e) => e.executionId === x).map((e) => e.artifactId!));
      const parents = [
        ...new Set(
          producerEvents
            .filter((e) => artifacts.has(e.artifactId!) && inPipeline(known.get(e.executionId!)))
            .map((e) => e.executionId!),
        ),
      ].sort(compareBig);
      parentsOf.set(x, parents);
      for (const p of parents) if (!parentsOf.has(p) && !next.includes(p)) next.push(p);
    }
    frontier = next;
  }
  return tangledTree(parentsOf, (k) => executionLabel(known.get(k)!), compareBig);
}

/**
 * /artifact-execution-lineage/tangled-tree/{pipeline}: artifacts and executions in one layout; an execution's
 * parents are its input artifacts, an artifact's parents the executions that output it.
 */
export async function artifactExecutionLineage(m: MlmdApi, pipelineName: string): Promise<TangledNode[][]> {
  const view = await readPipeline(m, pipelineName);
  const label = new Map<string, string>();
  for (const x of view.executions) {
    label.set(
      `e_${x.id}`,
      `execution_name_${stringOf(x.properties?.Context_Type)}:${stringOf(x.properties?.Execution_uuid).slice(0, 4)}`,
    );
  }
  const shown = lineageOrder(view);
  const parentsOf = new Map<string, string[]>();
  const add = (node: string, parent: string) => {
    if (!parentsOf.has(node)) parentsOf.set(node, []);
    parentsOf.get(node)!.push(parent);
  };
  for (const a of shown) {
    label.set(`a_${a.id}`, `artifact_name_${shortArtifactName(a.name ?? '', a.type ?? '')}`);
    let produced = false;
    for (const e of view.events.filter((ev) => ev.artifactId === a.id)) {
      if (e.type === Event_Type.INPUT) add(`e_${e.executionId}`, `a_${a.id}`);
      else {
        add(`a_${a.id}`, `e_${e.executionId}`);
        produced = true;
      }
    }
    if (!produced) parentsOf.set(`a_${a.id}`, []);
  }
  return tangledTree(
    parentsOf,
    (k) => label.get(k) ?? k,
    (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  );
}

/**
 * CMF's graph (cmf.md §6) from the records cmflib writes: `Pipeline` and `Stage` contexts with `contains`,
 * `Execution`s with `runs`, one node per artifact uri group (Dataset, Model, Dataslice, Label, Environment) or per
 * artifact (Metrics, Step_Metrics), `input` / `output` edges, `linked` executions, the execution-typed
 * artifact->artifact lineage edges and `has_label`.
 */
import {
  artifactIdsOfTypeAndUri,
  eventContributions,
  type EventWithArtifact,
  eventsWithArtifacts,
  firstEventExecutionId,
  labelUrisOfDataset,
  parentContextIdsOfType,
} from '../mlmd/projection-reads';
import {
  CMF_PIPELINE_TYPE,
  CMF_SCALAR_LABELS,
  CMF_STAGE_TYPE,
  EV_INPUT,
  EV_OUTPUT,
  type EventRecord,
  INPUT_EDGE_LABELS,
  LINEAGE_INPUTS,
  LINEAGE_OUTPUTS,
  type NodeRecord,
  OUTPUT_EDGE_LABELS,
  type PlainValue,
} from './model';
import type { Reader } from './reader';
import type { GraphRows } from './rows';
import { basename, moveToEnd, pathOf, pyStr, sanitizeKey } from './value-text';

/** The name cmflib gives an execution internally: its MLMD name when reusable, else its type name. */
export function executionTypeOf(x: NodeRecord): string {
  return x.name ? x.name : x.type;
}

function strProps(m: Map<string, PlainValue>, key: (k: string) => string = sanitizeKey): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of m) {
    const kk = key(k);
    if (kk !== '') out[kk] = pyStr(v);
  }
  return out;
}

const propStr = (n: NodeRecord, key: string): string => {
  const v = n.properties.get(key);
  return v === undefined ? '' : pyStr(v);
};

export async function projectCmfContext(r: Reader, c: NodeRecord, rows: GraphRows): Promise<void> {
  if (c.type === CMF_PIPELINE_TYPE) {
    const name = c.name ?? '';
    rows.cmfContexts.push({
      label: 'Pipeline',
      uri: String(c.id),
      props: { ...strProps(c.custom), Name: name, uri: String(c.id), pipeline_id: String(c.id), pipeline_name: name },
    });
  } else if (c.type === CMF_STAGE_TYPE) {
    const parentIds = await parentContextIdsOfType(r.tx, c.id, CMF_PIPELINE_TYPE);
    const pipelines = await r.nodesOf('context', parentIds);
    const pipeline = pipelines[0];
    rows.cmfContexts.push({
      label: 'Stage',
      uri: String(c.id),
      props: {
        ...strProps(c.custom),
        Name: c.name ?? '',
        uri: String(c.id),
        pipeline_id: pipeline ? String(pipeline.id) : '',
        pipeline_name: pipeline?.name ?? '',
      },
    });
    for (const p of pipelines) rows.cmfContains.push({ pipeline: String(p.id), stage: String(c.id) });
  }
}

export function cmfExecutionProps(x: NodeRecord): Record<string, unknown> {
  return {
    ...strProps(x.custom),
    Name: `${x.id},${executionTypeOf(x)}`,
    Command: propStr(x, 'Execution'),
    uri: String(x.id),
    pipeline_id: propStr(x, 'Pipeline_id'),
    pipeline_name: propStr(x, 'Pipeline_Type'),
  };
}

/** One CMF artifact node: a uri group for list labels, the artifact itself for Metrics / Step_Metrics. */
export async function projectCmfArtifact(r: Reader, a: NodeRecord, rows: GraphRows): Promise<void> {
  const { tx } = r;
  const uri = a.uri ?? '';
  if (CMF_SCALAR_LABELS.has(a.type)) {
    const firstExecution = await firstEventExecutionId(tx, a.id);
    const x = firstExecution === undefined ? undefined : await r.node('execution', firstExecution);
    const props: Record<string, unknown> = { ...strProps(a.custom), Name: a.name ?? '', uri };
    if (a.type === 'Step_Metrics') props.Commit = propStr(a, 'Commit');
    props.pipeline_id = x ? propStr(x, 'Pipeline_id') : '';
    props.pipeline_name = x ? propStr(x, 'Pipeline_Type') : '';
    rows.cmfScalarArtifacts.push({ label: a.type, uri, name: a.name ?? '', props });
    return;
  }
  // The group: every artifact of this type with this uri (cmflib re-uses one artifact per uri; the merge path can
  // hold several). Property lists keep each distinct value once, the most recently written last.
  const members = await r.nodesOf('artifact', await artifactIdsOfTypeAndUri(tx, a.typeId, uri));
  const lists = new Map<string, string[]>();
  const push = (key: string, value: string): void => {
    if (key === '') return;
    lists.set(key, moveToEnd([...(lists.get(key) ?? []), value]));
  };
  const withPath = a.type !== 'Model';
  const withPipeline = a.type !== 'Dataslice';
  for (const m of members) {
    for (const [k, v] of m.custom) push(sanitizeKey(k), pyStr(v));
    if (m.type !== 'Model') push('git_repo', propStr(m, 'git_repo'));
    push('Commit', propStr(m, 'Commit'));
  }
  const nameAndPath = (pathAndHash: string, executionId: bigint | null, isCreation: boolean): void => {
    if (withPath) {
      push('Name', basename(pathOf(pathAndHash)));
      push('Path', pathAndHash);
    } else {
      // Model: Name is `<path>:<hash>:<execution id>`; the creating event's is the artifact's own name.
      push('Name', isCreation || executionId === null ? pathAndHash : `${pathAndHash}:${executionId}`);
    }
  };
  // Every event of the group contributes, in event order: its path (the artifact's own name for the artifact's
  // first event without a path key, its creation) and its execution's pipeline. A list keeps each value at its
  // last position, so the database returns each distinct contribution once with its first and last event id
  // instead of every event: a dataset consumed by thousands of executions is a few rows, not thousands.
  const groupEvents = await eventContributions(
    tx,
    members.map((m) => m.id),
    !withPath,
  );
  const contributions: Array<{ at: bigint; apply: () => void }> = [];
  const creation = new Map<bigint, bigint>();
  for (const g of groupEvents) {
    if (g.stepKey === null) {
      const first = g.firstEventId;
      if (!creation.has(g.artifactId) || first < creation.get(g.artifactId)!) creation.set(g.artifactId, first);
    } else {
      const stepKey = g.stepKey;
      const executionId = withPath ? null : g.executionId!;
      contributions.push({ at: g.lastEventId, apply: () => nameAndPath(stepKey, executionId, false) });
    }
    if (withPipeline && g.pipelineName !== null) {
      const pipelineName = g.pipelineName;
      contributions.push({
        at: g.lastEventId,
        apply: () => {
          push('pipeline_id', g.pipelineId === null ? '' : String(g.pipelineId));
          push('pipeline_name', pipelineName);
        },
      });
    }
  }
  for (const [artifactId, at] of creation) {
    const owner = members.find((m) => m.id === artifactId);
    if (owner) contributions.push({ at, apply: () => nameAndPath(owner.name ?? '', null, true) });
  }
  contributions.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
  for (const c of contributions) c.apply();
  const created = new Set(creation.keys());
  for (const m of members) if (!created.has(m.id) && !lists.has('Name')) nameAndPath(m.name ?? '', null, true);
  const props: Record<string, unknown> = Object.fromEntries(lists);
  props.uri = uri;
  rows.cmfListArtifacts.push({ label: a.type, uri, props });

  // has_label: a Label names its dataset by uri; a Dataset finds its labels the same way.
  if (a.type === 'Label') {
    for (const m of members) {
      const d = m.custom.get('dataset_uri');
      if (d !== undefined) rows.cmfHasLabel.push({ dataset: pyStr(d), label: uri });
    }
  } else if (a.type === 'Dataset') {
    for (const label of await labelUrisOfDataset(tx, uri)) rows.cmfHasLabel.push({ dataset: uri, label });
  }
}

async function eventsOfExecution(
  r: Reader,
  x: bigint,
  cache: Map<bigint, EventWithArtifact[]>,
): Promise<EventWithArtifact[]> {
  let list = cache.get(x);
  if (list) return list;
  list = await eventsWithArtifacts(r.tx, x);
  cache.set(x, list);
  return list;
}

/** The relationship type of an execution's artifact->artifact edges: its execution type without non-word characters. */
export function lineageType(x: NodeRecord): string {
  return sanitizeKey(executionTypeOf(x)) || 'execution';
}

function lineageProps(x: NodeRecord, out: EventWithArtifact): Record<string, unknown> {
  const props: Record<string, unknown> = strProps(x.custom, (k) => k.replace(/-/g, '_'));
  props.Execution_Name = `${executionTypeOf(x)}:${x.id}`;
  props.execution_command = propStr(x, 'Execution');
  props.git_repo = propStr(x, 'Git_Repo');
  props.Commit = out.commit;
  return props;
}

export async function projectCmfEvent(
  r: Reader,
  e: EventRecord,
  rows: GraphRows,
  cache: Map<bigint, EventWithArtifact[]>,
): Promise<void> {
  const a = await r.node('artifact', e.artifactId);
  const x = await r.node('execution', e.executionId);
  if (!a || !x || !(await r.isCmfExecution(x.id)) || !(await r.isCmfArtifact(a))) return;
  const scalar = CMF_SCALAR_LABELS.has(a.type);
  const uri = a.uri ?? '';
  const xUri = String(x.id);
  if (e.type === EV_INPUT && INPUT_EDGE_LABELS.has(a.type)) {
    rows.cmfEventEdges.push({ rel: 'input', label: a.type, uri, name: null, execution: xUri });
  } else if (e.type === EV_OUTPUT && OUTPUT_EDGE_LABELS.has(a.type)) {
    rows.cmfEventEdges.push({
      rel: 'output',
      label: a.type,
      uri,
      name: scalar ? (a.name ?? '') : null,
      execution: xUri,
    });
  } else {
    return;
  }

  // linked: every producer of the artifact's uri -> every consumer (cmflib links only the first consumer).
  if (LINEAGE_INPUTS.has(a.type)) {
    const peers = await r.eventsOfUri(a.typeId, uri, e.type === EV_INPUT ? EV_OUTPUT : EV_INPUT);
    await r.stagesOfExecutions(peers.map((p) => p.executionId));
    for (const p of peers) {
      if (p.executionId === x.id || !(await r.isCmfExecution(p.executionId))) continue;
      const [from, to] = e.type === EV_INPUT ? [String(p.executionId), xUri] : [xUri, String(p.executionId)];
      rows.cmfLinked.push({ from, to, uri, artifactName: a.name ?? p.artifactName ?? '' });
    }
  }

  // Execution-typed edges: each Dataset/Model input logged before an output -> that output.
  const mine = await eventsOfExecution(r, x.id, cache);
  const type = lineageType(x);
  const edge = (input: EventWithArtifact, output: EventWithArtifact): void => {
    rows.cmfLineage.push({
      type,
      fromLabel: input.label,
      fromUri: input.uri,
      toLabel: output.label,
      toUri: output.uri,
      toName: CMF_SCALAR_LABELS.has(output.label) ? output.name : null,
      key: `${executionTypeOf(x)}:${x.id}`,
      props: lineageProps(x, output),
    });
  };
  const self = mine.find((m) => m.id === e.id);
  if (!self) return;
  if (e.type === EV_INPUT && LINEAGE_INPUTS.has(a.type)) {
    for (const o of mine) if (o.id > e.id && o.type === EV_OUTPUT && LINEAGE_OUTPUTS.has(o.label)) edge(self, o);
  } else if (e.type === EV_OUTPUT && LINEAGE_OUTPUTS.has(a.type)) {
    for (const i of mine) if (i.id < e.id && i.type === EV_INPUT && LINEAGE_INPUTS.has(i.label)) edge(i, self);
  }
}

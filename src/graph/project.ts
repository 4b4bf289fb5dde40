/**
 * From MLMD records to graph rows: reads the current state of the records a batch of changes touched (plain SQL on
 * MLMD's tables, in one read transaction) and derives two projections of them:
 *
 * 1. The plain MLMD projection, for every record: nodes `MlmdArtifact` / `MlmdExecution` / `MlmdContext` keyed by
 *    `id` (with `type`, `name`, `uri`, ..., `properties.<k>`, `custom_properties.<k>`), events as relationships named
 *    after the event type (`INPUT`, `OUTPUT`, `DECLARED_INPUT`, ...: artifact->execution for inputs,
 *    execution->artifact for outputs), `ATTRIBUTION` (artifact->context), `ASSOCIATION` (execution->context),
 *    `PARENT_CONTEXT` (child->parent).
 * 2. CMF's graph (cmf.md §6), for records written with cmflib's type names: `Pipeline` (Parent_Context),
 *    `Stage` (Pipeline_Stage), `Execution` (an execution associated with a stage), `Dataset`, `Model`, `Metrics`,
 *    `Step_Metrics`, `Dataslice`, `Label`, `Environment` (artifacts of those types tied to a stage), with
 *    `contains`, `runs`, `input`, `output`, `linked`, the execution-typed artifact->artifact edges and `has_label`.
 *
 * Rows are always derived from the records' current state, never from the change itself, so projecting the same
 * change twice, out of order, or from a full scan (resync) gives the same graph.
 */
import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { loadEventRecords } from '../mlmd/event-reader';
import { type AnyNode, ARTIFACT, CONTEXT, EXECUTION, type NodeKindSpec } from '../mlmd/node-kinds';
import { loadNodesByIds } from '../mlmd/node-store';
import type { Tx } from '../storage/database';
import { idSet } from '../storage/sql';
import type { Changes } from './outbox';

export type PlainValue = bigint | number | string | boolean;

/** Event.Type numbers (MLMD's enum). */
const EVENT_TYPES = [
  'UNKNOWN',
  'DECLARED_OUTPUT',
  'DECLARED_INPUT',
  'INPUT',
  'OUTPUT',
  'INTERNAL_INPUT',
  'INTERNAL_OUTPUT',
  'PENDING_OUTPUT',
];
const INPUT_EVENT_TYPES = new Set([0, 2, 3, 5]);
const EV_INPUT = 3;
const EV_OUTPUT = 4;

export const CMF_PIPELINE_TYPE = 'Parent_Context';
export const CMF_STAGE_TYPE = 'Pipeline_Stage';
/** Artifact types whose node holds lists of strings and is keyed by uri alone. */
export const CMF_LIST_LABELS = new Set(['Dataset', 'Model', 'Dataslice', 'Label', 'Environment']);
/** Artifact types whose node holds plain strings and is keyed by (uri, Name). */
export const CMF_SCALAR_LABELS = new Set(['Metrics', 'Step_Metrics']);
const CMF_ARTIFACT_LABELS = new Set([...CMF_LIST_LABELS, ...CMF_SCALAR_LABELS]);
/** Inputs that get `linked` and lineage edges; outputs that get lineage edges (cmflib's client path). */
const LINEAGE_INPUTS = new Set(['Dataset', 'Model']);
const LINEAGE_OUTPUTS = new Set(['Dataset', 'Model', 'Metrics', 'Step_Metrics']);
/** Artifacts with an execution edge: inputs (Label has none: it gets has_label; Dataslice gets none). */
const INPUT_EDGE_LABELS = new Set(['Dataset', 'Model', 'Environment']);
const OUTPUT_EDGE_LABELS = new Set(['Dataset', 'Model', 'Metrics', 'Step_Metrics']);

export type Kind = 'artifact' | 'execution' | 'context';
const SPEC: Record<Kind, NodeKindSpec> = { artifact: ARTIFACT, execution: EXECUTION, context: CONTEXT };
export const PLAIN_LABEL = { artifact: 'MlmdArtifact', execution: 'MlmdExecution', context: 'MlmdContext' } as const;

export interface NodeRecord {
  kind: Kind;
  id: bigint;
  typeId: bigint;
  type: string;
  name: string | null;
  uri?: string | null;
  state?: number | null;
  externalId: string | null;
  createTime: bigint;
  updateTime: bigint;
  properties: Map<string, PlainValue>;
  custom: Map<string, PlainValue>;
}

interface EventRecord {
  id: bigint;
  artifactId: bigint;
  executionId: bigint;
  type: number;
  millis: bigint | null;
  /** Path steps: keys as strings, indexes as numbers. */
  steps: Array<string | number>;
}

// ------------------------------------------------------------------------------------------------ rows for Neo4j

export interface GraphRows {
  plainNodes: Record<Kind, Array<{ id: bigint; props: Record<string, PlainValue> }>>;
  plainEvents: Array<{
    type: string;
    artifact: bigint;
    execution: bigint;
    inbound: boolean;
    props: Record<string, PlainValue>;
  }>;
  plainAttributions: Array<{ context: bigint; artifact: bigint }>;
  plainAssociations: Array<{ context: bigint; execution: bigint }>;
  plainParents: Array<{ child: bigint; parent: bigint }>;
  cmfContexts: Array<{ label: 'Pipeline' | 'Stage'; uri: string; props: Record<string, unknown> }>;
  cmfExecutions: Array<{ uri: string; props: Record<string, unknown> }>;
  cmfListArtifacts: Array<{ label: string; uri: string; props: Record<string, unknown> }>;
  cmfScalarArtifacts: Array<{ label: string; uri: string; name: string; props: Record<string, unknown> }>;
  cmfContains: Array<{ pipeline: string; stage: string }>;
  cmfRuns: Array<{ stage: string; execution: string }>;
  /** input: artifact->execution; output: execution->artifact. `name` selects a scalar node. */
  cmfEventEdges: Array<{ rel: 'input' | 'output'; label: string; uri: string; name: string | null; execution: string }>;
  cmfLinked: Array<{ from: string; to: string; uri: string; artifactName: string }>;
  cmfLineage: Array<{
    type: string;
    fromLabel: string;
    fromUri: string;
    toLabel: string;
    toUri: string;
    toName: string | null;
    key: string;
    props: Record<string, unknown>;
  }>;
  cmfHasLabel: Array<{ dataset: string; label: string }>;
}

export const emptyRows = (): GraphRows => ({
  plainNodes: { artifact: [], execution: [], context: [] },
  plainEvents: [],
  plainAttributions: [],
  plainAssociations: [],
  plainParents: [],
  cmfContexts: [],
  cmfExecutions: [],
  cmfListArtifacts: [],
  cmfScalarArtifacts: [],
  cmfContains: [],
  cmfRuns: [],
  cmfEventEdges: [],
  cmfLinked: [],
  cmfLineage: [],
  cmfHasLabel: [],
});

export function rowCount(r: GraphRows): number {
  let n = r.plainNodes.artifact.length + r.plainNodes.execution.length + r.plainNodes.context.length;
  for (const [k, v] of Object.entries(r)) if (k !== 'plainNodes' && Array.isArray(v)) n += v.length;
  return n;
}

// ------------------------------------------------------------------------------------------------ value text

/** Python's str() of a value, as cmflib's graph layer writes every CMF property. */
export function pyStr(v: PlainValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyFloat(v);
  return v;
}

/** repr(float): shortest round-trip digits; exponent form below 1e-4 or from 1e16, as "1e-05" / "1e+16". */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mant, exp] = x.toExponential().split('e');
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = String(x);
  if (s.includes('e')) {
    // JS switches to exponent form only below 1e-6 (handled above) or from 1e21 (handled above).
    return s;
  }
  return s.includes('.') ? s : `${s}.0`;
}

/** cmflib's property-key sanitising: every non-word character removed (Python's Unicode-aware \W). */
export function sanitizeKey(key: string): string {
  return key.replace(/[^\p{L}\p{N}\p{M}_]+/gu, '');
}

/** Keeps the last occurrence of each value ("(existing without v) + v" applied in order). */
function moveToEnd(values: Iterable<string>): string[] {
  const out: string[] = [];
  for (const v of values) {
    const i = out.indexOf(v);
    if (i >= 0) out.splice(i, 1);
    out.push(v);
  }
  return out;
}

const basename = (path: string): string => {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
};

/** `<path>:<hash>` -> path (the last ':' separates the hash; paths may hold ':' themselves). */
const pathOf = (pathAndHash: string): string => {
  const i = pathAndHash.lastIndexOf(':');
  return i < 0 ? pathAndHash : pathAndHash.slice(0, i);
};

// ------------------------------------------------------------------------------------------------ reading
// Records are read by the MLMD domain's own readers (node-store.ts, event-reader.ts): one loader per record kind,
// whatever reads it, and one place that knows each dialect's row order and value encoding.

function toPlain(value: Value): PlainValue {
  const v = value.value;
  switch (v?.$case) {
    case 'intValue':
      return v.value;
    case 'doubleValue':
      return v.value;
    case 'stringValue':
      return v.value;
    case 'boolValue':
      return v.value;
    case 'structValue':
      return JSON.stringify(v.value ?? {});
    case 'protoValue':
      return v.value.typeUrl ?? '';
    default:
      return '';
  }
}

const plainMap = (m: { [key: string]: Value } | undefined): Map<string, PlainValue> =>
  new Map(Object.entries(m ?? {}).map(([k, v]) => [k, toPlain(v)]));

function toRecord(kind: Kind, n: AnyNode): NodeRecord {
  return {
    kind,
    id: n.id!,
    typeId: n.typeId!,
    type: n.type ?? '',
    name: n.name ?? null,
    uri: kind === 'artifact' ? (n.uri ?? null) : undefined,
    state: kind === 'artifact' ? (n.state ?? null) : kind === 'execution' ? (n.lastKnownState ?? null) : undefined,
    externalId: n.externalId ?? null,
    createTime: n.createTimeSinceEpoch ?? 0n,
    updateTime: n.lastUpdateTimeSinceEpoch ?? 0n,
    properties: plainMap(n.properties),
    custom: plainMap(n.customProperties),
  };
}

async function loadNodes(tx: Tx, kind: Kind, ids: readonly bigint[]): Promise<Map<bigint, NodeRecord>> {
  const nodes = await loadNodesByIds(tx, SPEC[kind], ids);
  return new Map(nodes.map((n) => [n.id!, toRecord(kind, n)]));
}

async function loadEvents(tx: Tx, ids: readonly bigint[]): Promise<EventRecord[]> {
  if (ids.length === 0) return [];
  const set = idSet(tx, ids);
  const records = await loadEventRecords(tx, `e.id IN (${set.sql})`, [set.param]);
  return records.map(({ id, event }) => ({
    id,
    artifactId: event.artifactId!,
    executionId: event.executionId!,
    type: event.type ?? 0,
    millis: event.millisecondsSinceEpoch ?? null,
    steps: (event.path?.steps ?? []).map((step) =>
      step.value?.$case === 'index' ? Number(step.value.value) : String(step.value?.value ?? ''),
    ),
  }));
}

// ------------------------------------------------------------------------------------------------ the projector

/** State read once per batch; nodes and CMF-ness are cached. */
class Reader {
  private readonly nodes: Record<Kind, Map<bigint, NodeRecord>> = {
    artifact: new Map(),
    execution: new Map(),
    context: new Map(),
  };
  /** execution id -> the Pipeline_Stage contexts it is associated with. */
  private readonly stagesOf = new Map<bigint, bigint[]>();
  private readonly cmfArtifact = new Map<bigint, boolean>();
  private readonly uriEvents = new Map<string, Array<{ execution_id: bigint; name: string | null }>>();

  constructor(readonly tx: Tx) {}

  async nodesOf(kind: Kind, ids: Iterable<bigint>): Promise<NodeRecord[]> {
    const cache = this.nodes[kind];
    const missing = [...new Set(ids)].filter((id) => !cache.has(id));
    for (let i = 0; i < missing.length; i += 5000) {
      for (const [id, n] of await loadNodes(this.tx, kind, missing.slice(i, i + 5000))) cache.set(id, n);
    }
    return [...new Set(ids)].flatMap((id) => (cache.has(id) ? [cache.get(id)!] : []));
  }

  async node(kind: Kind, id: bigint): Promise<NodeRecord | undefined> {
    return (await this.nodesOf(kind, [id]))[0];
  }

  /** The Pipeline_Stage contexts of each execution (an execution with one is a CMF Execution). */
  async stagesOfExecutions(ids: Iterable<bigint>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.stagesOf.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.stagesOf.set(id, []);
    for (let i = 0; i < missing.length; i += 5000) {
      const set = idSet(this.tx, missing.slice(i, i + 5000));
      const rows = await this.tx.all(
        `SELECT a.execution_id, a.context_id FROM Association a JOIN Context c ON c.id = a.context_id ` +
          `JOIN Type t ON t.id = c.type_id WHERE t.name = ? AND a.execution_id IN (${set.sql}) ORDER BY a.context_id`,
        [CMF_STAGE_TYPE, set.param],
      );
      for (const r of rows) this.stagesOf.get(r.execution_id as bigint)!.push(r.context_id as bigint);
    }
  }

  /**
   * The executions with an event of `eventType` on any artifact of this type and uri (with the artifact's name),
   * read once per batch: every consumer of a widely shared dataset asks for the same producers.
   */
  async eventsOfUri(
    typeId: bigint,
    uri: string,
    eventType: number,
  ): Promise<Array<{ execution_id: bigint; name: string | null }>> {
    const key = `${typeId}\u0000${eventType}\u0000${uri}`;
    let peers = this.uriEvents.get(key);
    if (!peers) {
      peers = await this.tx.all<{ execution_id: bigint; name: string | null }>(
        `SELECT DISTINCT ev.execution_id, ar.name FROM Event ev JOIN Artifact ar ON ar.id = ev.artifact_id ` +
          `WHERE ar.uri = ? AND ar.type_id = ? AND ev.type = ? ORDER BY ev.execution_id`,
        [uri, typeId, eventType],
      );
      this.uriEvents.set(key, peers);
    }
    return peers;
  }

  async isCmfExecution(id: bigint): Promise<boolean> {
    await this.stagesOfExecutions([id]);
    return (this.stagesOf.get(id) ?? []).length > 0;
  }

  stages(id: bigint): bigint[] {
    return this.stagesOf.get(id) ?? [];
  }

  /** A CMF artifact: one of cmflib's artifact types, attributed to a stage or linked to a CMF execution. */
  async isCmfArtifact(a: NodeRecord): Promise<boolean> {
    if (!CMF_ARTIFACT_LABELS.has(a.type)) return false;
    const known = this.cmfArtifact.get(a.id);
    if (known !== undefined) return known;
    const hit = await this.tx.get(
      `SELECT 1 AS hit FROM Attribution at JOIN Context c ON c.id = at.context_id JOIN Type t ON t.id = c.type_id ` +
        `WHERE at.artifact_id = ? AND t.name = ? ` +
        `UNION ALL SELECT 1 AS hit FROM Event ev JOIN Association s ON s.execution_id = ev.execution_id ` +
        `JOIN Context c ON c.id = s.context_id JOIN Type t ON t.id = c.type_id WHERE ev.artifact_id = ? AND t.name = ? LIMIT 1`,
      [a.id, CMF_STAGE_TYPE, a.id, CMF_STAGE_TYPE],
    );
    this.cmfArtifact.set(a.id, hit !== undefined);
    return hit !== undefined;
  }
}

/** The name cmflib gives an execution internally: its MLMD name when reusable, else its type name. */
function executionTypeOf(x: NodeRecord): string {
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

function plainNodeProps(n: NodeRecord): Record<string, PlainValue> {
  const p: Record<string, PlainValue> = {
    id: n.id,
    type_id: n.typeId,
    type: n.type,
    create_time_since_epoch: n.createTime,
    last_update_time_since_epoch: n.updateTime,
  };
  if (n.name !== null) p.name = n.name;
  if (n.uri !== undefined && n.uri !== null) p.uri = n.uri;
  if (n.state !== undefined && n.state !== null) p[n.kind === 'execution' ? 'last_known_state' : 'state'] = n.state;
  if (n.externalId !== null) p.external_id = n.externalId;
  for (const [k, v] of n.properties) p[`properties.${k}`] = v;
  for (const [k, v] of n.custom) p[`custom_properties.${k}`] = v;
  return p;
}

const propStr = (n: NodeRecord, key: string): string => {
  const v = n.properties.get(key);
  return v === undefined ? '' : pyStr(v);
};

/** Derives every row the changes call for. */
export async function projectChanges(tx: Tx, changes: Changes): Promise<GraphRows> {
  const rows = emptyRows();
  const r = new Reader(tx);
  const A = new Set(changes.artifacts);
  const X = new Set(changes.executions);
  const C = new Set(changes.contexts);
  const EV = new Set(changes.events);

  // Links: their endpoints are re-projected; a link that makes a node part of CMF's graph re-derives its events.
  for (const [c, a] of changes.attributions) {
    A.add(a);
    rows.plainAttributions.push({ context: c, artifact: a });
  }
  for (const [c, x] of changes.associations) {
    X.add(x);
    rows.plainAssociations.push({ context: c, execution: x });
  }
  for (const [child, parent] of changes.parentContexts) {
    C.add(child);
    rows.plainParents.push({ child, parent });
  }
  const linkContexts = await r.nodesOf(
    'context',
    [...changes.attributions, ...changes.associations].map(([c]) => c),
  );
  const stageIds = new Set(linkContexts.filter((c) => c.type === CMF_STAGE_TYPE).map((c) => c.id));
  const rederiveA = changes.attributions.filter(([c]) => stageIds.has(c)).map(([, a]) => a);
  const rederiveX = changes.associations.filter(([c]) => stageIds.has(c)).map(([, x]) => x);
  if (rederiveA.length + rederiveX.length > 0) {
    const aSet = idSet(tx, rederiveA);
    const xSet = idSet(tx, rederiveX);
    const more = await tx.all<{ id: bigint }>(
      `SELECT id FROM Event WHERE artifact_id IN (${aSet.sql}) OR execution_id IN (${xSet.sql})`,
      [aSet.param, xSet.param],
    );
    for (const m of more) EV.add(m.id);
  }

  // Events (plain edges; their artifacts' CMF nodes hold lists that depend on events).
  const events: EventRecord[] = [];
  const evIds = [...EV];
  for (let i = 0; i < evIds.length; i += 5000) events.push(...(await loadEvents(tx, evIds.slice(i, i + 5000))));
  for (const e of events) A.add(e.artifactId);
  await r.nodesOf('artifact', [...A]);
  await r.nodesOf('execution', [...X, ...events.map((e) => e.executionId)]);
  await r.stagesOfExecutions([...X, ...events.map((e) => e.executionId)]);

  // ---- plain nodes
  for (const a of await r.nodesOf('artifact', A)) rows.plainNodes.artifact.push({ id: a.id, props: plainNodeProps(a) });
  for (const x of await r.nodesOf('execution', X))
    rows.plainNodes.execution.push({ id: x.id, props: plainNodeProps(x) });
  for (const c of await r.nodesOf('context', C)) rows.plainNodes.context.push({ id: c.id, props: plainNodeProps(c) });
  for (const e of events) {
    const props: Record<string, PlainValue> = { id: e.id };
    if (e.millis !== null) props.milliseconds_since_epoch = e.millis;
    if (e.steps.length > 0) props.path = JSON.stringify(e.steps);
    rows.plainEvents.push({
      type: EVENT_TYPES[e.type] ?? `TYPE_${e.type}`,
      artifact: e.artifactId,
      execution: e.executionId,
      inbound: INPUT_EVENT_TYPES.has(e.type),
      props,
    });
  }

  // ---- CMF: contexts
  for (const c of await r.nodesOf('context', C)) await projectCmfContext(r, c, rows);
  // ---- CMF: executions
  for (const x of await r.nodesOf('execution', X)) {
    if (!(await r.isCmfExecution(x.id))) continue;
    rows.cmfExecutions.push({ uri: String(x.id), props: cmfExecutionProps(x) });
    for (const s of r.stages(x.id)) rows.cmfRuns.push({ stage: String(s), execution: String(x.id) });
  }
  // ---- CMF: artifacts (a uri group is derived once per batch)
  const groups = new Set<string>();
  for (const a of await r.nodesOf('artifact', A)) {
    if (!(await r.isCmfArtifact(a))) continue;
    const key = `${a.type}\u0000${CMF_LIST_LABELS.has(a.type) ? a.uri : a.id}`;
    if (groups.has(key)) continue;
    groups.add(key);
    await projectCmfArtifact(r, a, rows);
  }
  // ---- CMF: event edges, linked, lineage
  const eventsByExecution = new Map<bigint, EventWithArtifact[]>();
  for (const e of events) await projectCmfEvent(r, e, rows, eventsByExecution);
  return rows;
}

async function projectCmfContext(r: Reader, c: NodeRecord, rows: GraphRows): Promise<void> {
  if (c.type === CMF_PIPELINE_TYPE) {
    const name = c.name ?? '';
    rows.cmfContexts.push({
      label: 'Pipeline',
      uri: String(c.id),
      props: { ...strProps(c.custom), Name: name, uri: String(c.id), pipeline_id: String(c.id), pipeline_name: name },
    });
  } else if (c.type === CMF_STAGE_TYPE) {
    const parents = await r.tx.all<{ id: bigint }>(
      `SELECT pc.parent_context_id AS id FROM ParentContext pc JOIN Context p ON p.id = pc.parent_context_id ` +
        `JOIN Type t ON t.id = p.type_id WHERE pc.context_id = ? AND t.name = ? ORDER BY pc.parent_context_id`,
      [c.id, CMF_PIPELINE_TYPE],
    );
    const pipelines = await r.nodesOf(
      'context',
      parents.map((p) => p.id),
    );
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

function cmfExecutionProps(x: NodeRecord): Record<string, unknown> {
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
async function projectCmfArtifact(r: Reader, a: NodeRecord, rows: GraphRows): Promise<void> {
  const { tx } = r;
  const uri = a.uri ?? '';
  if (CMF_SCALAR_LABELS.has(a.type)) {
    const first = await tx.get<{ execution_id: bigint }>(
      'SELECT execution_id FROM Event WHERE artifact_id = ? ORDER BY id LIMIT 1',
      [a.id],
    );
    const x = first ? await r.node('execution', first.execution_id) : undefined;
    const props: Record<string, unknown> = { ...strProps(a.custom), Name: a.name ?? '', uri };
    if (a.type === 'Step_Metrics') props.Commit = propStr(a, 'Commit');
    props.pipeline_id = x ? propStr(x, 'Pipeline_id') : '';
    props.pipeline_name = x ? propStr(x, 'Pipeline_Type') : '';
    rows.cmfScalarArtifacts.push({ label: a.type, uri, name: a.name ?? '', props });
    return;
  }
  // The group: every artifact of this type with this uri (cmflib re-uses one artifact per uri; the merge path can
  // hold several). Property lists keep each distinct value once, the most recently written last.
  const group = await tx.all<{ id: bigint }>('SELECT id FROM Artifact WHERE type_id = ? AND uri = ? ORDER BY id', [
    a.typeId,
    uri,
  ]);
  const members = await r.nodesOf(
    'artifact',
    group.map((g) => g.id),
  );
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
  const set = idSet(
    tx,
    members.map((m) => m.id),
  );
  const groupEvents = await tx.all(
    `SELECT ev.artifact_id, ev.step_key, ${withPath ? '' : 'ev.execution_id, '}pn.string_value AS pipeline_name, ` +
      `pid.int_value AS pipeline_id, MIN(ev.id) AS first_id, MAX(ev.id) AS last_id FROM (` +
      `SELECT e.id, e.artifact_id, e.execution_id, (SELECT ep.step_key FROM EventPath ep WHERE ep.event_id = e.id ` +
      `AND ep.is_index_step = FALSE LIMIT 1) AS step_key FROM Event e WHERE e.artifact_id IN (${set.sql})) ev ` +
      `LEFT JOIN ExecutionProperty pn ON pn.execution_id = ev.execution_id AND pn.name = 'Pipeline_Type' AND pn.is_custom_property = FALSE ` +
      `LEFT JOIN ExecutionProperty pid ON pid.execution_id = ev.execution_id AND pid.name = 'Pipeline_id' AND pid.is_custom_property = FALSE ` +
      `GROUP BY ev.artifact_id, ev.step_key, ${withPath ? '' : 'ev.execution_id, '}pn.string_value, pid.int_value`,
    [set.param],
  );
  const contributions: Array<{ at: bigint; apply: () => void }> = [];
  const creation = new Map<bigint, bigint>();
  for (const g of groupEvents) {
    const artifactId = g.artifact_id as bigint;
    if (g.step_key === null) {
      const first = g.first_id as bigint;
      if (!creation.has(artifactId) || first < creation.get(artifactId)!) creation.set(artifactId, first);
    } else {
      const executionId = withPath ? null : (g.execution_id as bigint);
      contributions.push({ at: g.last_id as bigint, apply: () => nameAndPath(String(g.step_key), executionId, false) });
    }
    if (withPipeline && g.pipeline_name !== null) {
      contributions.push({
        at: g.last_id as bigint,
        apply: () => {
          push('pipeline_id', g.pipeline_id === null ? '' : String(g.pipeline_id));
          push('pipeline_name', String(g.pipeline_name));
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
    const labels = await tx.all<{ uri: string }>(
      `SELECT DISTINCT ar.uri FROM ArtifactProperty p JOIN Artifact ar ON ar.id = p.artifact_id JOIN Type t ON t.id = ar.type_id ` +
        `WHERE p.name = 'dataset_uri' AND p.is_custom_property = TRUE AND p.string_value = ? AND t.name = 'Label'`,
      [uri],
    );
    for (const l of labels) rows.cmfHasLabel.push({ dataset: uri, label: l.uri });
  }
}

interface EventWithArtifact {
  id: bigint;
  type: number;
  artifactId: bigint;
  label: string;
  uri: string;
  name: string;
  commit: string;
}

async function eventsOfExecution(
  r: Reader,
  x: bigint,
  cache: Map<bigint, EventWithArtifact[]>,
): Promise<EventWithArtifact[]> {
  let list = cache.get(x);
  if (list) return list;
  const rows = await r.tx.all(
    `SELECT ev.id, ev.type, ev.artifact_id, ar.uri, ar.name, t.name AS type_name, cp.string_value AS commit_value ` +
      `FROM Event ev JOIN Artifact ar ON ar.id = ev.artifact_id JOIN Type t ON t.id = ar.type_id ` +
      `LEFT JOIN ArtifactProperty cp ON cp.artifact_id = ar.id AND cp.name = 'Commit' AND cp.is_custom_property = FALSE ` +
      `WHERE ev.execution_id = ? ORDER BY ev.id`,
    [x],
  );
  list = rows.map((e) => ({
    id: e.id as bigint,
    type: Number(e.type),
    artifactId: e.artifact_id as bigint,
    label: e.type_name as string,
    uri: (e.uri as string | null) ?? '',
    name: (e.name as string | null) ?? '',
    commit: (e.commit_value as string | null) ?? '',
  }));
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

async function projectCmfEvent(
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
    await r.stagesOfExecutions(peers.map((p) => p.execution_id));
    for (const p of peers) {
      if (p.execution_id === x.id || !(await r.isCmfExecution(p.execution_id))) continue;
      const [from, to] = e.type === EV_INPUT ? [String(p.execution_id), xUri] : [xUri, String(p.execution_id)];
      rows.cmfLinked.push({ from, to, uri, artifactName: a.name ?? p.name ?? '' });
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

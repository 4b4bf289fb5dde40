/**
 * The read API cmf-server 0.1.0 offers its web UI, as CMF domain reads: pipelines, a pipeline's executions and its
 * artifacts of a type (paged, filtered, sorted), artifact types, the three "tangled tree" lineage layouts, the list
 * of executions and the model card. Shapes and names follow cmf-server's JSON; values are computed from the MLMD
 * records through the domain API, with the set-based reads a pipeline view needs (its executions per stage, then
 * their events and artifacts with one query each) instead of cmf-server's per-artifact lookups.
 */
import {
  Event_Type,
  type Artifact,
  type Context,
  type Event,
  type Execution,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument, notFound } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import { withMlmd } from '../mlmd/in-transaction';
import type { Database } from '../storage/database';
import { PIPELINE_TYPE, pyStrOf, stringOf } from './model';

/** Artifact types cmf-server leaves out of lineage views. */
const EXCLUDED_FROM_LINEAGE = new Set(['Environment', 'Label']);

const byId = <T extends { id?: bigint }>(a: T, b: T) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---------------------------------------------------------------- shared reads

/** A pipeline with its stages and their executions, the events of those executions and the artifacts they name. */
interface PipelineView {
  pipeline: Context;
  stages: Context[];
  executions: Execution[];
  stageOf: Map<bigint, Context>;
  events: Event[];
  artifacts: Map<bigint, Artifact>;
}

async function pipelineContext(m: MlmdApi, name: string): Promise<Context> {
  const { context } = await m.getContextByTypeAndName({ typeName: PIPELINE_TYPE, contextName: name });
  if (!context) throw notFound(`Pipeline ${name} not found.`);
  return context;
}

async function readPipeline(m: MlmdApi, name: string): Promise<PipelineView> {
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

async function artifactsById(m: MlmdApi, ids: Iterable<bigint>): Promise<Map<bigint, Artifact>> {
  const list = [...new Set(ids)];
  if (list.length === 0) return new Map();
  return new Map(((await m.getArtifactsById({ artifactIds: list })).artifacts ?? []).map((a) => [a.id!, a]));
}

async function executionsById(m: MlmdApi, ids: Iterable<bigint>): Promise<Map<bigint, Execution>> {
  const list = [...new Set(ids)];
  if (list.length === 0) return new Map();
  return new Map(((await m.getExecutionsById({ executionIds: list })).executions ?? []).map((x) => [x.id!, x]));
}

/** A value as cmflib's data frames hold it: string, int, otherwise the double. */
function frameValue(v: Value): Json {
  const x = v.value;
  if (x?.$case === 'stringValue') return x.value;
  if (x?.$case === 'intValue') return Number(x.value);
  if (x?.$case === 'doubleValue') return x.value;
  return 0;
}

/** A value as cmf-server's SQL renders it: COALESCE(string, bool, double, int ...) cast to text. */
function sqlText(v: Value): string {
  const x = v.value;
  if (x?.$case === 'boolValue') return x.value ? 'true' : 'false';
  return pyStrOf(v);
}

// ---------------------------------------------------------------- pipelines and types

export async function pipelineNames(m: MlmdApi): Promise<string[]> {
  return ((await m.getContextsByType({ typeName: PIPELINE_TYPE })).contexts ?? []).sort(byId).map((c) => c.name!);
}

/** Every artifact type name except Environment (cmf-server's /artifact_types). */
export async function artifactTypeNames(m: MlmdApi): Promise<string[]> {
  return ((await m.getArtifactTypes({})).artifactTypes ?? []).map((t) => t.name!).filter((n) => n !== 'Environment');
}

// ---------------------------------------------------------------- paged tables

export interface TableQuery {
  activePage: number;
  recordPerPage: number;
  sortField: string;
  sortOrder: string;
  filterValue: string;
}

/** Checks cmf-server's paging parameters (both must be positive). */
export function checkTableQuery(q: TableQuery): TableQuery {
  if (!Number.isSafeInteger(q.activePage) || q.activePage < 1) throw invalidArgument('active_page must be > 0');
  if (!Number.isSafeInteger(q.recordPerPage) || q.recordPerPage < 1) {
    throw invalidArgument('record_per_page must be > 0');
  }
  return q;
}

function page<T extends { [key: string]: Json }>(rows: T[], q: TableQuery): { total_items: number; items: T[] } {
  const start = (q.activePage - 1) * q.recordPerPage;
  const items = rows.slice(start, start + q.recordPerPage).map((r) => ({ ...r, total_records: rows.length }));
  return { total_items: items.length === 0 ? 0 : rows.length, items };
}

function compareJson(a: Json | undefined, b: Json | undefined): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

function sortRows<T>(rows: T[], key: (row: T) => Json | undefined, order: string, id: (row: T) => number): T[] {
  const sign = order.toLowerCase() === 'desc' ? -1 : 1;
  return rows.sort((a, b) => sign * compareJson(key(a), key(b)) || id(a) - id(b));
}

const nameValues = (props: { [k: string]: Value } | undefined) =>
  Object.entries(props ?? {}).map(([name, v]) => ({ name, value: sqlText(v) }));

/**
 * cmf-server's /executions/{pipeline}: `{total_items, items: [{execution_id, execution_properties: [{name, value}],
 * total_records}]}`, the properties being properties and custom properties alike; filtered by a case-insensitive
 * substring of any of them, sorted by the property `sort_field` (default Context_Type).
 */
export async function executionsTable(m: MlmdApi, pipelineName: string, q: TableQuery) {
  const view = await readPipeline(m, pipelineName);
  const needle = q.filterValue.toLowerCase();
  const rows = view.executions
    .map((x) => ({
      x,
      row: {
        execution_id: Number(x.id),
        execution_properties: [...nameValues(x.properties), ...nameValues(x.customProperties)],
      },
    }))
    .filter(({ row }) => needle === '' || JSON.stringify(row.execution_properties).toLowerCase().includes(needle));
  const sortKey = ({ x }: { x: Execution }) => {
    const v = x.properties?.[q.sortField] ?? x.customProperties?.[q.sortField];
    return v === undefined ? undefined : frameValue(v);
  };
  return page(
    sortRows(rows, sortKey, q.sortOrder, ({ x }) => Number(x.id)).map(({ row }) => row),
    q,
  );
}

/** `Wed, 02 Dec 2026 05:29:20 GMT`, as cmf-server's to_char(... 'Dy, DD Mon YYYY HH24:MI:SS GMT'). */
export function httpDate(millis: bigint | undefined): string {
  return new Date(Number((millis ?? 0n) / 1000n) * 1000).toUTCString();
}

const ARTIFACT_SORT_FIELDS = new Set([
  'artifact_id',
  'name',
  'uri',
  'create_time_since_epoch',
  'last_update_time_since_epoch',
]);

/**
 * cmf-server's /artifacts/{pipeline}/{type}: the artifacts of that type the pipeline's executions touch, with the
 * stages that touched them (`execution`), properties as `[{name, value}]`, create time as an HTTP date; filtered by a
 * case-insensitive substring of any column, sorted by one of its columns (default name).
 */
export async function artifactsTable(m: MlmdApi, pipelineName: string, artifactType: string, q: TableQuery) {
  if (!ARTIFACT_SORT_FIELDS.has(q.sortField)) {
    throw invalidArgument(`sort_field must be one of ${[...ARTIFACT_SORT_FIELDS].join(', ')}`);
  }
  const view = await readPipeline(m, pipelineName);
  const ofType = [...view.artifacts.values()].filter((a) => a.type === artifactType).sort(byId);
  const stageNames = new Map<bigint, Set<string>>();
  if (ofType.length > 0) {
    const { events } = await m.getEventsByArtifactIDs({ artifactIds: ofType.map((a) => a.id!) });
    const executions = await executionsById(
      m,
      (events ?? []).map((e) => e.executionId!),
    );
    const contexts = new Map<bigint, string[]>();
    for (const x of executions.values()) {
      const { contexts: cs } = await m.getContextsByExecution({ executionId: x.id }).catch(() => ({ contexts: [] }));
      contexts.set(
        x.id!,
        (cs ?? []).map((c) => c.name!),
      );
    }
    for (const e of events ?? []) {
      let set = stageNames.get(e.artifactId!);
      if (!set) stageNames.set(e.artifactId!, (set = new Set()));
      for (const n of contexts.get(e.executionId!) ?? []) set.add(n);
    }
  }
  const needle = q.filterValue.toLowerCase();
  const rows = ofType
    .map((a) => ({
      artifact_id: Number(a.id),
      name: a.name ?? '',
      execution: [...(stageNames.get(a.id!) ?? [])].sort().join(', '),
      uri: a.uri ?? '',
      create_time_since_epoch: httpDate(a.createTimeSinceEpoch),
      last_update_time_since_epoch: Number(a.lastUpdateTimeSinceEpoch ?? 0n),
      artifact_properties: [...nameValues(a.properties), ...nameValues(a.customProperties)],
    }))
    .filter(
      (row) =>
        needle === '' ||
        [
          row.artifact_id,
          row.name,
          row.execution,
          row.uri,
          row.create_time_since_epoch,
          row.last_update_time_since_epoch,
        ].some((c) => String(c).toLowerCase().includes(needle)) ||
        JSON.stringify(row.artifact_properties).toLowerCase().includes(needle),
    );
  return page(
    sortRows(
      rows,
      (r) => r[q.sortField as keyof typeof r] as Json,
      q.sortOrder,
      (r) => r.artifact_id,
    ),
    q,
  );
}

// ---------------------------------------------------------------- lineage

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

/** Events of the given artifacts (across every pipeline), grouped by artifact. */
async function eventsOfArtifacts(m: MlmdApi, ids: readonly bigint[]): Promise<Event[]> {
  if (ids.length === 0) return [];
  return (await m.getEventsByArtifactIDs({ artifactIds: [...ids] })).events ?? [];
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

// ---------------------------------------------------------------- model card

/** An artifact as a row of cmflib's artifact data frame. */
function artifactRow(a: Artifact): { [key: string]: Json } {
  const row: { [key: string]: Json } = {
    id: Number(a.id),
    type: a.type ?? '',
    uri: a.uri ?? '',
    name: a.name ?? '',
    create_time_since_epoch: Number(a.createTimeSinceEpoch ?? 0n),
    last_update_time_since_epoch: Number(a.lastUpdateTimeSinceEpoch ?? 0n),
  };
  for (const [k, v] of Object.entries(a.properties ?? {})) row[k] = frameValue(v);
  for (const [k, v] of Object.entries(a.customProperties ?? {})) row[`custom_properties_${k}`] = frameValue(v);
  return row;
}

/** Rows of one data frame: every row gets every column (null where it has none), as pandas' to_json writes them. */
function frame(rows: Array<{ [key: string]: Json }>): Array<{ [key: string]: Json }> | '' {
  if (rows.length === 0) return '';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort();
  return rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
}

/**
 * /model-card?modelId=: [the model's row, rows of the executions that input or output it (without the git commit
 * columns), rows of those executions' other input artifacts, rows of their other output artifacts]; "" for an empty
 * part, as cmf-server answers.
 */
export async function modelCard(m: MlmdApi, modelId: bigint): Promise<Json[]> {
  const [model] = (await m.getArtifactsById({ artifactIds: [modelId] })).artifacts ?? [];
  if (!model || model.type !== 'Model') return ['', '', '', ''];
  const events = await eventsOfArtifacts(m, [modelId]);
  const executionIds = [...new Set(events.map((e) => e.executionId!))];
  if (executionIds.length === 0) return [frame([artifactRow(model)]), '', '', ''];
  const executions = [...(await executionsById(m, executionIds)).values()].sort(byId);
  const executionRows = executions.map((x) => {
    const row: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(x.properties ?? {})) {
      if (k !== 'Git_Start_Commit' && k !== 'Git_End_Commit') row[k] = frameValue(v);
    }
    for (const [k, v] of Object.entries(x.customProperties ?? {})) row[`custom_properties_${k}`] = frameValue(v);
    return row;
  });
  const all = (await m.getEventsByExecutionIDs({ executionIds })).events ?? [];
  const ids = (type: Event_Type) =>
    [...new Set(all.filter((e) => e.type === type).map((e) => e.artifactId!))].filter((id) => id !== modelId);
  const inputs = await artifactsById(m, ids(Event_Type.INPUT));
  const outputs = await artifactsById(m, ids(Event_Type.OUTPUT));
  return [
    frame([artifactRow(model)]),
    frame(executionRows),
    frame([...inputs.values()].sort(byId).map(artifactRow)),
    frame([...outputs.values()].sort(byId).map(artifactRow)),
  ];
}

/** Whether the pipeline exists (cmf-server answers 404 for views of an unknown pipeline). */
export async function hasPipeline(m: MlmdApi, name: string): Promise<boolean> {
  return (await m.getContextByTypeAndName({ typeName: PIPELINE_TYPE, contextName: name })).context !== undefined;
}

/** The Execution_uuid lists of a pipeline's executions (cmf-server's pull checks `-e` against them). */
export async function pipelineExecutionUuids(m: MlmdApi, name: string): Promise<string[][]> {
  const pipeline = await pipelineContext(m, name);
  const out: string[][] = [];
  for (const stage of (await m.getChildrenContextsByContext({ contextId: pipeline.id })).contexts ?? []) {
    for (const x of (await m.getExecutionsByContext({ contextId: stage.id })).executions ?? []) {
      out.push(stringOf(x.properties?.Execution_uuid).split(','));
    }
  }
  return out;
}

/** The views bound to a database, each one read transaction. */
export function cmfServerViews(db: Database) {
  const read = <T>(body: (m: MlmdApi) => Promise<T>): Promise<T> => withMlmd(db, 'read', body);
  return {
    pipelineNames: () => read(pipelineNames),
    hasPipeline: (name: string) => read((m) => hasPipeline(m, name)),
    pipelineExecutionUuids: (name: string) => read((m) => pipelineExecutionUuids(m, name)),
    artifactTypeNames: () => read(artifactTypeNames),
    executionsTable: (pipeline: string, q: TableQuery) => read((m) => executionsTable(m, pipeline, checkTableQuery(q))),
    artifactsTable: (pipeline: string, type: string, q: TableQuery) =>
      read((m) => artifactsTable(m, pipeline, type, checkTableQuery(q))),
    artifactLineage: (pipeline: string) => read((m) => artifactLineage(m, pipeline)),
    executionLineage: (uuid4: string, pipeline: string) => read((m) => executionLineage(m, uuid4, pipeline)),
    artifactExecutionLineage: (pipeline: string) => read((m) => artifactExecutionLineage(m, pipeline)),
    executionList: (pipeline: string) => read((m) => executionList(m, pipeline)),
    modelCard: (modelId: bigint) => read((m) => modelCard(m, modelId)),
  };
}

export type CmfServerViews = ReturnType<typeof cmfServerViews>;

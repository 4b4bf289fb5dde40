/**
 * The read API cmf-server 0.1.0 offers its web UI, as CMF domain reads: pipelines, a pipeline's executions and its
 * artifacts of a type (paged, filtered, sorted), artifact types and the model card (the lineage views are in
 * server-lineage.ts). Shapes and names follow cmf-server's JSON; values are computed from the MLMD records through the
 * domain API (server-reads.ts) instead of cmf-server's SQL on MLMD's tables and its per-artifact lookups.
 */
import {
  Event_Type,
  type Artifact,
  type Execution,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import { type MlmdDomain, withMlmd } from '../mlmd/in-transaction';
import type { Database } from '../storage/database';
import { PIPELINE_TYPE } from './model';
import { artifactExecutionLineage, artifactLineage, executionLineage, executionList } from './server-lineage';
import {
  artifactsById,
  byId,
  eventsOfArtifacts,
  executionsById,
  frameValue,
  type Json,
  readPipeline,
  sqlText,
} from './server-reads';

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
export async function artifactsTable(m: MlmdDomain, pipelineName: string, artifactType: string, q: TableQuery) {
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
    const contexts = await m.contextsOfExecutions([...executions.keys()]);
    for (const e of events ?? []) {
      let set = stageNames.get(e.artifactId!);
      if (!set) stageNames.set(e.artifactId!, (set = new Set()));
      for (const c of contexts.get(e.executionId!) ?? []) set.add(c.name!);
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

/** The views bound to a database, each one read transaction. */
export function cmfServerViews(db: Database) {
  const read = <T>(body: (m: MlmdDomain) => Promise<T>): Promise<T> => withMlmd(db, 'read', body);
  return {
    pipelineNames: () => read(pipelineNames),
    hasPipeline: (name: string) => read((m) => hasPipeline(m, name)),
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

/**
 * From MLMD records to graph rows: reads the current state of the records a batch of changes touched (through the
 * MLMD domain's readers, in one read transaction) and derives two projections of them:
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
import { eventIdsOf, type EventWithArtifact } from '../mlmd/projection-reads';
import type { Tx } from '../storage/database';
import { cmfExecutionProps, projectCmfArtifact, projectCmfContext, projectCmfEvent } from './cmf-projection';
import {
  CMF_LIST_LABELS,
  CMF_STAGE_TYPE,
  EVENT_TYPES,
  type EventRecord,
  INPUT_EVENT_TYPES,
  type NodeRecord,
  type PlainValue,
} from './model';
import type { Changes } from './outbox';
import { Reader } from './reader';
import { loadEvents } from './records';
import { emptyRows, type GraphRows } from './rows';

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
    for (const id of await eventIdsOf(tx, rederiveA, rederiveX)) EV.add(id);
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

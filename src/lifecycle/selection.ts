/**
 * What a DeleteRequest selects, resolved to node ids: the listed ids (each must exist), the nodes an MLMD
 * filter_query matches (compiled by query/ exactly as the list RPCs compile it), and CMF pipelines by name (the
 * pipeline's context, its child contexts transitively, and every execution associated with any of them).
 */
import type { DeleteSelection } from '../../generated/cmf_mlmd/v1/lifecycle';
import { PIPELINE_TYPE } from '../cmf/model';
import { invalidArgument, notFound } from '../errors';
import { compileFilter } from '../mlmd/filter';
import { ARTIFACT, CONTEXT, EXECUTION, type NodeKindSpec } from '../mlmd/node-kinds';
import type { Tx } from '../storage/database';
import { idSet, textSet } from '../storage/sql';
import { MAX_DELETE_NODES, tooLarge } from './limits';

export interface NodeSets {
  artifacts: Set<bigint>;
  executions: Set<bigint>;
  contexts: Set<bigint>;
}

export const emptySets = (): NodeSets => ({ artifacts: new Set(), executions: new Set(), contexts: new Set() });

export function isEmptySelection(s: DeleteSelection | undefined): boolean {
  return (
    !s ||
    ((s.artifactIds ?? []).length === 0 &&
      (s.executionIds ?? []).length === 0 &&
      (s.contextIds ?? []).length === 0 &&
      !s.artifactsFilter &&
      !s.executionsFilter &&
      !s.contextsFilter &&
      (s.pipelineNames ?? []).length === 0)
  );
}

/** The nodes the selection names, before the deletion rules add anything. */
export async function resolveSelection(tx: Tx, selection: DeleteSelection | undefined): Promise<NodeSets> {
  if (!selection || isEmptySelection(selection))
    throw invalidArgument('selection is empty: name ids, a filter or a pipeline to delete');
  const seeds: NodeSets = {
    artifacts: await listed(tx, ARTIFACT, selection.artifactIds ?? [], 'selection.artifact_ids'),
    executions: await listed(tx, EXECUTION, selection.executionIds ?? [], 'selection.execution_ids'),
    contexts: await listed(tx, CONTEXT, selection.contextIds ?? [], 'selection.context_ids'),
  };
  if (selection.artifactsFilter) add(seeds.artifacts, await filtered(tx, ARTIFACT, selection.artifactsFilter));
  if (selection.executionsFilter) add(seeds.executions, await filtered(tx, EXECUTION, selection.executionsFilter));
  if (selection.contextsFilter) add(seeds.contexts, await filtered(tx, CONTEXT, selection.contextsFilter));
  if ((selection.pipelineNames ?? []).length > 0) {
    const pipeline = await pipelineFootprint(tx, selection.pipelineNames!);
    add(seeds.contexts, pipeline.contexts);
    add(seeds.executions, pipeline.executions);
  }
  return seeds;
}

function add(to: Set<bigint>, ids: Iterable<bigint>): void {
  for (const id of ids) to.add(id);
}

async function listed(tx: Tx, spec: NodeKindSpec, ids: readonly bigint[], field: string): Promise<Set<bigint>> {
  const wanted = new Set(ids);
  if (wanted.size === 0) return wanted;
  if (wanted.size > MAX_DELETE_NODES) throw tooLarge(field);
  const set = idSet(tx, [...wanted]);
  const rows = await tx.all<{ id: bigint }>(`SELECT id FROM ${spec.table} WHERE id IN (${set.sql})`, [set.param]);
  const found = new Set(rows.map((r) => r.id));
  const missing = [...wanted].filter((id) => !found.has(id));
  if (missing.length > 0)
    throw notFound(`${field}: no ${spec.label.toLowerCase()} with id ${missing.slice(0, 10).join(', ')}`);
  return found;
}

async function filtered(tx: Tx, spec: NodeKindSpec, query: string): Promise<bigint[]> {
  const filter = compileFilter(tx.dialect, spec, query);
  const rows = await tx.all<{ id: bigint }>(`SELECT n.id FROM ${spec.table} n WHERE ${filter.where} LIMIT ?`, [
    ...filter.params,
    MAX_DELETE_NODES + 1,
  ]);
  if (rows.length > MAX_DELETE_NODES) throw tooLarge(`selection.${spec.label.toLowerCase()}s_filter`);
  return rows.map((r) => r.id);
}

/** The contexts and executions of CMF pipelines, by name: two queries whatever the pipelines' sizes. */
async function pipelineFootprint(
  tx: Tx,
  names: readonly string[],
): Promise<{ contexts: bigint[]; executions: bigint[] }> {
  const set = textSet(tx, [...new Set(names)]);
  const roots = await tx.all<{ id: bigint; name: string }>(
    `SELECT c.id, c.name FROM Context c JOIN Type t ON t.id = c.type_id WHERE t.name = ? AND c.name IN (${set.sql})`,
    [PIPELINE_TYPE, set.param],
  );
  const found = new Set(roots.map((r) => r.name));
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0)
    throw notFound(`selection.pipeline_names: no pipeline named ${missing.slice(0, 10).join(', ')}`);
  const rootSet = idSet(
    tx,
    roots.map((r) => r.id),
  );
  const contexts = await tx.all<{ id: bigint }>(
    `WITH RECURSIVE tree(id) AS (SELECT id FROM Context WHERE id IN (${rootSet.sql}) ` +
      `UNION SELECT pc.context_id FROM ParentContext pc JOIN tree ON pc.parent_context_id = tree.id) ` +
      `SELECT id FROM tree LIMIT ?`,
    [rootSet.param, MAX_DELETE_NODES + 1],
  );
  if (contexts.length > MAX_DELETE_NODES) throw tooLarge('selection.pipeline_names');
  const contextSet = idSet(
    tx,
    contexts.map((r) => r.id),
  );
  const executions = await tx.all<{ id: bigint }>(
    `SELECT DISTINCT execution_id AS id FROM Association WHERE context_id IN (${contextSet.sql}) LIMIT ?`,
    [contextSet.param, MAX_DELETE_NODES + 1],
  );
  if (executions.length > MAX_DELETE_NODES) throw tooLarge('selection.pipeline_names');
  return { contexts: contexts.map((r) => r.id), executions: executions.map((r) => r.id) };
}

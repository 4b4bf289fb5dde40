/**
 * GetLineageGraph, MLMD's deprecated lineage query (its gRPC server no longer registers it; we keep the historic
 * semantics because we promise the RPC).
 *
 * Query nodes are the first page of ListArtifacts(artifacts_options). From them a breadth-first walk alternates
 * between executions and artifacts along events; each hop is ONE query over Event for the whole frontier, which
 * also drops already visited nodes, applies the boundary filter of the kind reached and the node quota. The result
 * holds full nodes, the events among them, and the (non-simple) types.
 */
import type { Event, LineageGraph, LineageGraphQueryOptions } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument, notFound } from '../errors';
import type { SqlValue, Tx } from '../storage/database';
import { idSet } from '../storage/sql';
import { loadEvents } from './event-reader';
import { type CompiledFilter, compileFilter } from './filter';
import { listNodes } from './listing';
import { ARTIFACT, EXECUTION, type NodeKindSpec } from './node-kinds';
import { loadNodesByIds } from './node-store';
import { TYPE_KINDS } from './type-kinds';
import { getAllTypes } from './types';

/** Default and upper bound of stop_conditions.max_num_hops. */
const MAX_HOPS = 20n;

type Side = 'artifact' | 'execution';
const SPEC: Record<Side, NodeKindSpec> = { artifact: ARTIFACT, execution: EXECUTION };
const COLUMN: Record<Side, string> = { artifact: 'artifact_id', execution: 'execution_id' };
const OTHER: Record<Side, Side> = { artifact: 'execution', execution: 'artifact' };

export async function getLineageGraph(tx: Tx, options: LineageGraphQueryOptions | undefined): Promise<LineageGraph> {
  if (options?.queryNodes?.$case !== 'artifactsOptions') throw invalidArgument('Missing query_nodes conditions');
  const requestedHops = options.stopConditions?.maxNumHops ?? MAX_HOPS;
  if (requestedHops < 0n) throw invalidArgument(`max_num_hops cannot be negative: ${requestedHops}`);
  const hops = requestedHops > MAX_HOPS ? MAX_HOPS : requestedHops;
  const maxNodeSize = options.maxNodeSize ?? 20n;
  // Total artifacts + executions; zero or negative means no limit.
  let quota = maxNodeSize > 0n ? maxNodeSize : undefined;

  // A boundary is a filter a newly reached node must match to be kept (and walked through).
  const boundary: Record<Side, CompiledFilter | undefined> = {
    artifact: boundaryFilter(tx, 'artifact', options.stopConditions?.boundaryArtifacts),
    execution: boundaryFilter(tx, 'execution', options.stopConditions?.boundaryExecutions),
  };

  const queryNodes = (await listNodes(tx, ARTIFACT, options.queryNodes.value)).nodes;
  if (queryNodes.length === 0) throw notFound('No artifacts are found for the query_nodes conditions');
  let frontier = queryNodes.map((n) => n.id!);
  if (quota !== undefined && BigInt(frontier.length) > quota) frontier = frontier.slice(0, Number(quota));
  if (quota !== undefined) quota -= BigInt(frontier.length);

  const kept: Record<Side, bigint[]> = { artifact: [...frontier], execution: [] };
  let side: Side = 'artifact';
  for (let hop = 0n; hop < hops && frontier.length > 0 && (quota === undefined || quota > 0n); hop++) {
    const next: Side = OTHER[side];
    frontier = await hopFrom(tx, side, frontier, kept[next], boundary[next], quota);
    kept[next].push(...frontier);
    if (quota !== undefined) quota -= BigInt(frontier.length);
    side = next;
  }

  return assemble(tx, kept);
}

function boundaryFilter(tx: Tx, side: Side, query: string | undefined): CompiledFilter | undefined {
  return query ? compileFilter(tx.dialect, SPEC[side], query) : undefined;
}

/**
 * One hop: the nodes of the other kind that share an event with `frontier`, not yet kept, matching the boundary,
 * at most `limit` of them (lowest ids first, so the cut is deterministic). The join with the node table also skips
 * events that point at nodes which do not exist.
 */
async function hopFrom(
  tx: Tx,
  side: Side,
  frontier: readonly bigint[],
  visited: readonly bigint[],
  boundary: CompiledFilter | undefined,
  limit: bigint | undefined,
): Promise<bigint[]> {
  const next = OTHER[side];
  const from = idSet(tx, frontier);
  const seen = idSet(tx, visited);
  const params: SqlValue[] = [from.param, seen.param];
  let sql =
    `SELECT DISTINCT n.id FROM Event e JOIN ${SPEC[next].table} n ON n.id = e.${COLUMN[next]} ` +
    `WHERE e.${COLUMN[side]} IN (${from.sql}) AND n.id NOT IN (${seen.sql})`;
  if (boundary) {
    sql += ` AND (${boundary.where})`;
    params.push(...boundary.params);
  }
  sql += ' ORDER BY n.id';
  if (limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(limit);
  }
  return (await tx.all<{ id: bigint }>(sql, params)).map((r) => r.id);
}

async function assemble(tx: Tx, kept: Record<Side, bigint[]>): Promise<LineageGraph> {
  const artifacts = await loadNodesByIds(tx, ARTIFACT, kept.artifact);
  const executions = await loadNodesByIds(tx, EXECUTION, kept.execution);
  let events: Event[] = [];
  if (kept.artifact.length > 0 && kept.execution.length > 0) {
    const a = idSet(tx, kept.artifact);
    const x = idSet(tx, kept.execution);
    events = await loadEvents(tx, `e.artifact_id IN (${a.sql}) AND e.execution_id IN (${x.sql})`, [a.param, x.param]);
  }
  return {
    artifacts,
    executions,
    events,
    artifactTypes: await getAllTypes(tx, TYPE_KINDS.artifact),
    executionTypes: await getAllTypes(tx, TYPE_KINDS.execution),
    contextTypes: await getAllTypes(tx, TYPE_KINDS.context),
  };
}

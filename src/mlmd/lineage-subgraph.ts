/**
 * GetLineageSubgraph: a breadth-first walk over events from nodes chosen by a filter query.
 *
 * Each hop is one set-based query over Event for the whole frontier (never a query per node), then one query to
 * find which newly reached nodes are ending nodes. Output follows MLMD: nodes are dehydrated to their ids, contexts
 * are those linked to returned nodes, and `*_types` hold every type of the kind (the Python client ignores them).
 */
import {
  type Attribution,
  type Association,
  type Event,
  Event_Type,
  type LineageGraph,
  type LineageSubgraphQueryOptions,
  LineageSubgraphQueryOptions_Direction as Direction,
  type LineageSubgraphQueryOptions_EndingNodes,
} from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument, notFound } from '../errors';
import type { Row, Tx } from '../storage/database';
import { idSet } from '../storage/sql';
import { loadEvents } from './event-reader';
import { compileFilter } from './filter';
import { ARTIFACT, EXECUTION, type NodeKindSpec } from './node-kinds';
import { TYPE_KINDS } from './type-kinds';
import { loadTypes } from './types';

const MAX_HOPS = 100n;
/**
 * Starting nodes taken when more match: Google's server lists them with max_result_size 100, and its listing
 * returns one row more than the page size (the 101-row quirk), so 101 start the walk. We match it.
 */
const STARTING_NODES_TAKEN = 101;

/** Event types that record an execution reading an artifact (also the deletion's blocker rule: lifecycle/plan.ts). */
export const INPUT_LIKE = [Event_Type.DECLARED_INPUT, Event_Type.INPUT, Event_Type.INTERNAL_INPUT];
/** Event types that record an execution producing an artifact. */
export const OUTPUT_LIKE = [
  Event_Type.DECLARED_OUTPUT,
  Event_Type.OUTPUT,
  Event_Type.INTERNAL_OUTPUT,
  Event_Type.PENDING_OUTPUT,
];

const ALL_PATHS = [
  'artifacts',
  'executions',
  'contexts',
  'events',
  'artifact_types',
  'execution_types',
  'context_types',
  'attributions',
  'associations',
] as const;

type Side = 'artifact' | 'execution';
const SPEC: Record<Side, NodeKindSpec> = { artifact: ARTIFACT, execution: EXECUTION };
const OTHER: Record<Side, Side> = { artifact: 'execution', execution: 'artifact' };

/** Event types followed when leaving a node of `from` in `direction` (undefined = all). */
function followedTypes(from: Side, direction: Direction): number[] | undefined {
  if (direction === Direction.DOWNSTREAM) return from === 'artifact' ? INPUT_LIKE : OUTPUT_LIKE;
  if (direction === Direction.UPSTREAM) return from === 'artifact' ? OUTPUT_LIKE : INPUT_LIKE;
  return undefined;
}

async function matching(tx: Tx, side: Side, filterQuery: string, among?: bigint[]): Promise<bigint[]> {
  const spec = SPEC[side];
  const filter = compileFilter(tx.dialect, spec, filterQuery);
  const params = [...filter.params];
  let where = `(${filter.where})`;
  if (among) {
    const set = idSet(tx, among);
    where += ` AND n.id IN (${set.sql})`;
    params.push(set.param);
  }
  const limit = among ? '' : ` LIMIT ${STARTING_NODES_TAKEN}`;
  const rows = await tx.all<{ id: bigint }>(
    `SELECT n.id FROM ${spec.table} n WHERE ${where} ORDER BY n.id${limit}`,
    params,
  );
  return rows.map((r) => r.id);
}

function validate(options: LineageSubgraphQueryOptions | undefined): {
  start: Side;
  filter: string;
  hops: bigint;
  direction: Direction;
} {
  const starting = options?.startingNodes;
  if (!starting) throw invalidArgument('Missing arguments for listing starting nodes.');
  const filter = starting.value.filterQuery ?? '';
  if (filter === '') throw invalidArgument('Cannot list starting nodes if `filter_query` is unspecified.');
  const hops = options!.maxNumHops ?? MAX_HOPS;
  if (hops < 0n) throw invalidArgument('max_num_hops cannot be negative');
  return {
    start: starting.$case === 'startingArtifacts' ? 'artifact' : 'execution',
    filter,
    hops: hops > MAX_HOPS ? MAX_HOPS : hops,
    direction: options!.direction ?? Direction.DIRECTION_UNSPECIFIED,
  };
}

export async function getLineageSubgraph(
  tx: Tx,
  options: LineageSubgraphQueryOptions | undefined,
  readMask: readonly string[] | undefined,
): Promise<LineageGraph> {
  const { start, filter, hops, direction } = validate(options);
  const bidirectional = direction !== Direction.UPSTREAM && direction !== Direction.DOWNSTREAM;
  const ending: Record<Side, LineageSubgraphQueryOptions_EndingNodes | undefined> = {
    artifact: options!.endingArtifacts?.filterQuery !== undefined ? options!.endingArtifacts : undefined,
    execution: options!.endingExecutions?.filterQuery !== undefined ? options!.endingExecutions : undefined,
  };

  const startIds = await matching(tx, start, filter);
  if (startIds.length === 0) throw notFound(`No ${start}s match the starting filter_query: ${filter}`);

  const visited: Record<Side, Set<bigint>> = { artifact: new Set(), execution: new Set() };
  const endingNodes: Record<Side, Set<bigint>> = { artifact: new Set(), execution: new Set() };
  const events = new Map<bigint, true>();
  for (const id of startIds) visited[start].add(id);
  const endingIds = async (side: Side, ids: bigint[]) =>
    ending[side] && ids.length > 0
      ? new Set(await matching(tx, side, ending[side]!.filterQuery!, ids))
      : new Set<bigint>();

  const startEnding = await endingIds(start, startIds);
  let frontier = startIds.filter((id) => !startEnding.has(id));
  let side: Side = start;
  for (let hop = 0n; hop < hops && frontier.length > 0; hop++) {
    const next = OTHER[side];
    const set = idSet(tx, frontier);
    const types = followedTypes(side, direction);
    const fromColumn = side === 'artifact' ? 'artifact_id' : 'execution_id';
    const toColumn = next === 'artifact' ? 'artifact_id' : 'execution_id';
    const rows = await tx.all<Row>(
      `SELECT id, ${toColumn} AS reached FROM Event WHERE ${fromColumn} IN (${set.sql})` +
        (types ? ` AND type IN (${types.join(', ')})` : ''),
      [set.param],
    );
    const reachedNew = [...new Set(rows.map((r) => r.reached as bigint).filter((id) => !visited[next].has(id)))];
    const isNew = new Set(reachedNew);
    const newEnding = await endingIds(next, reachedNew);
    for (const r of rows) {
      const target = r.reached as bigint;
      if (newEnding.has(target) || endingNodes[next].has(target)) {
        if (ending[next]!.includeEndingNodes) events.set(r.id as bigint, true);
      } else if (isNew.has(target) || !bidirectional) {
        events.set(r.id as bigint, true);
      }
    }
    for (const id of newEnding) endingNodes[next].add(id);
    frontier = reachedNew.filter((id) => !newEnding.has(id));
    for (const id of frontier) visited[next].add(id);
    side = next;
  }
  for (const s of ['artifact', 'execution'] as const) {
    if (ending[s]?.includeEndingNodes) for (const id of endingNodes[s]) visited[s].add(id);
  }
  return assemble(tx, visited, [...events.keys()], readMask?.length ? readMask : ALL_PATHS);
}

async function assemble(
  tx: Tx,
  nodes: Record<Side, Set<bigint>>,
  eventIds: bigint[],
  paths: readonly string[],
): Promise<LineageGraph> {
  const want = new Set(paths);
  const artifactIds = [...nodes.artifact].sort((a, b) => (a < b ? -1 : 1));
  const executionIds = [...nodes.execution].sort((a, b) => (a < b ? -1 : 1));
  const artifacts = idSet(tx, artifactIds);
  const executions = idSet(tx, executionIds);
  const graph: LineageGraph = {};
  if (want.has('artifacts')) graph.artifacts = artifactIds.map((id) => ({ id }));
  if (want.has('executions')) graph.executions = executionIds.map((id) => ({ id }));
  if (want.has('events')) {
    const set = idSet(tx, eventIds);
    graph.events = eventIds.length ? await loadEvents(tx, `e.id IN (${set.sql})`, [set.param]) : ([] as Event[]);
  }
  // Contexts are those of the returned nodes' attributions and associations: read the links once and derive the
  // context ids from them (one indexed lookup per side, instead of a separate UNION over the same rows).
  const linked = want.has('contexts') || want.has('attributions') || want.has('associations');
  const attributionRows = linked
    ? await tx.all<{ context_id: bigint; artifact_id: bigint }>(
        `SELECT context_id, artifact_id FROM Attribution WHERE artifact_id IN (${artifacts.sql}) ORDER BY id`,
        [artifacts.param],
      )
    : [];
  const associationRows = linked
    ? await tx.all<{ context_id: bigint; execution_id: bigint }>(
        `SELECT context_id, execution_id FROM Association WHERE execution_id IN (${executions.sql}) ORDER BY id`,
        [executions.param],
      )
    : [];
  if (want.has('contexts')) {
    const ids = new Set<bigint>();
    for (const r of attributionRows) ids.add(r.context_id);
    for (const r of associationRows) ids.add(r.context_id);
    graph.contexts = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((id) => ({ id }));
  }
  if (want.has('attributions')) {
    graph.attributions = attributionRows.map((r): Attribution => ({
      contextId: r.context_id,
      artifactId: r.artifact_id,
    }));
  }
  if (want.has('associations')) {
    graph.associations = associationRows.map((r): Association => ({
      contextId: r.context_id,
      executionId: r.execution_id,
    }));
  }
  const plainTypes = { externalId: false, baseType: false, structTypes: true };
  if (want.has('artifact_types'))
    graph.artifactTypes = [...(await loadTypes(tx, ARTIFACT.typeKind, '1 = 1', [], plainTypes)).values()];
  if (want.has('execution_types'))
    graph.executionTypes = [...(await loadTypes(tx, EXECUTION.typeKind, '1 = 1', [], plainTypes)).values()];
  if (want.has('context_types'))
    graph.contextTypes = [...(await loadTypes(tx, TYPE_KINDS.context, '1 = 1', [], plainTypes)).values()];
  return graph;
}

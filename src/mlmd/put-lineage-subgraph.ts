/**
 * PutLineageSubgraph: executions, artifacts and contexts plus the events between them (edges given by index into
 * the request's lists, by id, or both), written in one transaction in MLMD's order: edges, then each node's type and
 * properties are validated first (so a bad property answers INVALID_ARGUMENT even when a context would also
 * conflict), then contexts, artifacts and executions are written, every context is linked to every written
 * execution and artifact, and the events go in last.
 *
 * Deviation from MLMD: an edge that names a node only by id must name a stored node (INVALID_ARGUMENT "No artifact
 * with the given id N" / "No execution ..."); MLMD stores an event pointing at nothing.
 */
import type { Event } from '../../generated/ml_metadata/proto/metadata_store';
import type {
  PutLineageSubgraphRequest,
  PutLineageSubgraphRequest_EventEdge as EventEdge,
  PutLineageSubgraphResponse,
} from '../../generated/ml_metadata/proto/metadata_store_service';
import { invalidArgument, outOfRange } from '../errors';
import type { Tx } from '../storage/database';
import { textSet } from '../storage/sql';
import { type AnyNode, ARTIFACT, CONTEXT, EXECUTION, type NodeKindSpec } from './node-kinds';
import { writeContexts } from './put-node-sequence';
import { NodeWriter, validateNodesAgainstTypes } from './node-store';
import { insertAssociations, insertAttributions, insertEvents } from './put-events-store';

export async function putLineageSubgraph(
  tx: Tx,
  request: PutLineageSubgraphRequest,
): Promise<PutLineageSubgraphResponse> {
  const executions = request.executions ?? [];
  const artifacts = request.artifacts ?? [];
  const contexts = request.contexts ?? [];
  const edges = request.eventEdges ?? [];
  const options = request.options ?? {};

  edges.forEach((edge, i) => validateEdge(edge, i, executions, artifacts));
  await validateNodesAgainstTypes(tx, ARTIFACT, artifacts);
  await validateNodesAgainstTypes(tx, EXECUTION, executions);
  await validateNodesAgainstTypes(tx, CONTEXT, contexts);

  const contextIds = await writeContexts(tx, contexts, {
    reuseIfAlreadyExist: options.reuseContextIfAlreadyExist ?? false,
    forceReuse: false,
  });

  // Reuse by external id is decided by one lookup before any artifact is written: unlike PutExecution, two new
  // artifacts sharing a new external_id are not collapsed (the second insert answers ALREADY_EXISTS).
  const reused = options.reuseArtifactIfAlreadyExistByExternalId
    ? await artifactsByExternalId(tx, artifacts)
    : new Map<string, bigint>();
  const resolvedArtifacts = artifacts.map((a): AnyNode => {
    const found = a.id === undefined && a.externalId ? reused.get(a.externalId) : undefined;
    return found === undefined ? a : { ...a, id: found };
  });
  const artifactIds = await writeAll(tx, ARTIFACT, resolvedArtifacts);
  const executionIds = await writeAll(tx, EXECUTION, executions);

  await insertAssociations(
    tx,
    contextIds.flatMap((contextId) => executionIds.map((executionId) => ({ contextId, executionId }))),
  );
  await insertAttributions(
    tx,
    contextIds.flatMap((contextId) => artifactIds.map((artifactId) => ({ contextId, artifactId }))),
  );

  const events = edges.map((edge): Event => ({
    ...edge.event!,
    executionId: edge.executionIndex !== undefined ? executionIds[edge.executionIndex] : edge.event!.executionId,
    artifactId: edge.artifactIndex !== undefined ? artifactIds[edge.artifactIndex] : edge.event!.artifactId,
  }));
  // Nodes written above exist; only edges that name other nodes by id need the existence check.
  const written = { artifacts: new Set(artifactIds), executions: new Set(executionIds) };
  const checkNodesExist = events.some(
    (e) => !written.artifacts.has(e.artifactId!) || !written.executions.has(e.executionId!),
  );
  await insertEvents(tx, events, { checkNodesExist });

  return { executionIds, artifactIds, contextIds };
}

/** One edge's references, checked against the request's lists before anything is written. */
function validateEdge(edge: EventEdge, i: number, executions: readonly AnyNode[], artifacts: readonly AnyNode[]): void {
  const event = edge.event;
  if (!event) throw invalidArgument(`Event edge ${i} has no event`);
  const sides = [
    { label: 'execution', index: edge.executionIndex, id: event.executionId, nodes: executions },
    { label: 'artifact', index: edge.artifactIndex, id: event.artifactId, nodes: artifacts },
  ];
  for (const side of sides) {
    if (side.index === undefined) {
      if (side.id === undefined)
        throw invalidArgument(`Event edge ${i} has neither a ${side.label}_index nor an event.${side.label}_id`);
      continue;
    }
    if (side.index < 0 || side.index >= side.nodes.length) {
      throw outOfRange(`Event edge ${i} has ${side.label}_index ${side.index} outside [0, ${side.nodes.length})`);
    }
    if (side.id === undefined) continue;
    const node = side.nodes[side.index];
    if (node.id === undefined) {
      throw invalidArgument(
        `Missing ${side.label} ID: event edge ${i} names event.${side.label}_id ${side.id}, but the ${side.label} at index ${side.index} has no id`,
      );
    }
    if (node.id !== side.id) {
      throw invalidArgument(
        `${side.label === 'execution' ? 'Execution' : 'Artifact'} ID mismatch: event edge ${i} names ${side.id}, the ${side.label} at index ${side.index} has id ${node.id}`,
      );
    }
  }
}

/** Stored artifacts by external_id, for the id-less artifacts that carry one; one query. */
async function artifactsByExternalId(tx: Tx, artifacts: readonly AnyNode[]): Promise<Map<string, bigint>> {
  const wanted = [...new Set(artifacts.filter((a) => a.id === undefined && a.externalId).map((a) => a.externalId!))];
  if (wanted.length === 0) return new Map();
  const set = textSet(tx, wanted);
  const rows = await tx.all<{ id: bigint; external_id: string }>(
    `SELECT id, external_id FROM Artifact WHERE external_id IN (${set.sql})`,
    [set.param],
  );
  return new Map(rows.map((r) => [r.external_id, r.id]));
}

async function writeAll(tx: Tx, spec: NodeKindSpec, nodes: readonly AnyNode[]): Promise<bigint[]> {
  const writer = await NodeWriter.prepare(tx, spec, nodes);
  const ids: bigint[] = [];
  for (const node of nodes) ids.push(await writer.upsert(node));
  return ids;
}

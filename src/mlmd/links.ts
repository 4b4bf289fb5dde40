/**
 * Links between nodes: events (artifact <-> execution), attributions (context <-> artifact), associations
 * (context <-> execution) and parent contexts (context -> context), with their writes and reads.
 */
import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import { alreadyExists, invalidArgument, notFound } from '../errors';
import { noteLinked } from '../storage/change-log';
import { type Tx, UniqueViolation } from '../storage/database';
import { bigintParam, idSet, lockedIds } from '../storage/sql';
import { eventsOfArtifacts, eventsOfExecutions } from './event-reader';
import { hasCandidates, listNodes } from './listing';
import { ARTIFACT, CONTEXT, EXECUTION, type NodeKindSpec } from './node-kinds';
import { loadNodes } from './node-store';
import { insertAssociations, insertAttributions, insertEvents } from './put-events-store';
import { read, type RpcTable, write } from './rpc';

/** Contexts linked to a node through Attribution or Association; MLMD answers NOT_FOUND when there are none. */
async function contextsOf(
  tx: Tx,
  link: 'Attribution' | 'Association',
  column: string,
  id: bigint | undefined,
  label: string,
) {
  const contexts = await loadNodes(tx, CONTEXT, `n.id IN (SELECT context_id FROM ${link} WHERE ${column} = ?)`, [
    id ?? 0n,
  ]);
  if (contexts.length === 0) throw notFound(`No contexts found for ${label}_id: ${id ?? ''}`);
  return contexts;
}

/**
 * The contexts a link table names for each of many keys (`key` and `context` its columns): one query for the links,
 * one for the contexts; keys without any are absent.
 */
async function linkedContextsOfMany(
  tx: Tx,
  table: 'Attribution' | 'Association' | 'ParentContext',
  key: string,
  context: string,
  ids: readonly bigint[],
): Promise<Map<bigint, Context[]>> {
  const set = idSet(tx, [...new Set(ids)]);
  const links = await tx.all<{ of_id: bigint; context_id: bigint }>(
    `SELECT ${key} AS of_id, ${context} AS context_id FROM ${table} WHERE ${key} IN (${set.sql}) ORDER BY ${key}, ${context}`,
    [set.param],
  );
  const contexts = new Map(
    (
      await loadNodes(tx, CONTEXT, `n.id IN (SELECT ${context} FROM ${table} WHERE ${key} IN (${set.sql}))`, [
        set.param,
      ])
    ).map((c) => [c.id!, c]),
  );
  const result = new Map<bigint, Context[]>();
  for (const link of links) {
    const c = contexts.get(link.context_id);
    if (!c) continue;
    if (!result.has(link.of_id)) result.set(link.of_id, []);
    result.get(link.of_id)!.push(c);
  }
  return result;
}

/** The contexts linked to each of many artifacts (Attribution) or executions (Association). */
export async function contextsOfMany(
  tx: Tx,
  link: 'Attribution' | 'Association',
  column: 'artifact_id' | 'execution_id',
  ids: readonly bigint[],
): Promise<Map<bigint, Context[]>> {
  return ids.length === 0 ? new Map() : linkedContextsOfMany(tx, link, column, 'context_id', ids);
}

/** Nodes linked to a context, optionally paged and filtered. */
async function nodesOfContext(
  tx: Tx,
  spec: NodeKindSpec,
  link: 'Attribution' | 'Association',
  column: string,
  contextId: bigint | undefined,
  options: Parameters<typeof listNodes>[2],
) {
  const candidates = {
    where: `n.id IN (SELECT ${column} FROM ${link} WHERE context_id = ?)`,
    params: [contextId ?? 0n],
  };
  if (!(await hasCandidates(tx, spec, candidates))) return { nodes: [] };
  return listNodes(tx, spec, options, candidates);
}

type Direction = 'parents' | 'children';
const RELATIVE: Record<Direction, { select: string; match: string }> = {
  parents: { select: 'parent_context_id', match: 'context_id' },
  children: { select: 'context_id', match: 'parent_context_id' },
};

async function relativesOf(tx: Tx, direction: Direction, contextId: bigint | undefined): Promise<Context[]> {
  const r = RELATIVE[direction];
  return loadNodes(tx, CONTEXT, `n.id IN (SELECT ${r.select} FROM ParentContext WHERE ${r.match} = ?)`, [
    contextId ?? 0n,
  ]);
}

/** Relatives of many contexts at once: one query for the links, one for the contexts; only keys with relatives. */
async function relativesOfMany(
  tx: Tx,
  direction: Direction,
  contextIds: readonly bigint[],
): Promise<Map<bigint, Context[]>> {
  if (contextIds.length === 0) throw invalidArgument('Given context_ids is empty.');
  const r = RELATIVE[direction];
  return linkedContextsOfMany(tx, 'ParentContext', r.match, r.select, contextIds);
}

async function putParentContexts(tx: Tx, links: ReadonlyArray<{ childId?: bigint; parentId?: bigint }>): Promise<void> {
  for (const link of links) {
    if (link.childId === undefined || link.parentId === undefined) {
      throw invalidArgument('ParentContext is missing child_id or parent_id');
    }
    const { childId, parentId } = link;
    // Share-locked, so a concurrent deletion cannot leave the link dangling.
    const found = await lockedIds(tx, 'Context', [childId, parentId], 'share');
    if (childId === parentId || found.size !== 2) {
      throw invalidArgument(
        childId === parentId
          ? `A context cannot be its own parent: child_id ${childId} equals parent_id ${parentId}`
          : `The child context ${childId} or the parent context ${parentId} cannot be found`,
      );
    }
    // Walking up from the parent must never reach the child: one recursive query instead of a loop of lookups.
    const cycle = await tx.get(
      `WITH RECURSIVE ancestors(id) AS (SELECT ${bigintParam(tx)} UNION SELECT pc.parent_context_id FROM ParentContext pc JOIN ancestors a ON pc.context_id = a.id) ` +
        `SELECT 1 AS found FROM ancestors WHERE id = ? LIMIT 1`,
      [parentId, childId],
    );
    if (cycle) throw invalidArgument('There is a cycle detected of the given relationship.');
    try {
      await tx.run('INSERT INTO ParentContext (context_id, parent_context_id) VALUES (?, ?)', [childId, parentId]);
      noteLinked(tx, 'parent_context', [[childId, parentId]]);
    } catch (e) {
      if (e instanceof UniqueViolation)
        throw alreadyExists(`The parent context link from ${childId} to ${parentId} already exists`);
      throw e;
    }
  }
}

interface LinkRequest {
  attributions?: Array<{ contextId?: bigint; artifactId?: bigint }>;
  associations?: Array<{ contextId?: bigint; executionId?: bigint }>;
}

/** Validates every link in MLMD's order (attributions first) before writing any; duplicates are accepted. */
async function putAttributionsAndAssociations(tx: Tx, r: LinkRequest): Promise<void> {
  const attributions = r.attributions ?? [];
  const associations = r.associations ?? [];
  const contexts = await lockedIds(
    tx,
    'Context',
    [...attributions, ...associations].flatMap((l) => (l.contextId === undefined ? [] : [l.contextId])),
    'share',
  );
  const artifacts = await lockedIds(
    tx,
    'Artifact',
    attributions.flatMap((l) => (l.artifactId === undefined ? [] : [l.artifactId])),
    'share',
  );
  const executions = await lockedIds(
    tx,
    'Execution',
    associations.flatMap((l) => (l.executionId === undefined ? [] : [l.executionId])),
    'share',
  );
  const check = (
    contextId: bigint | undefined,
    nodeId: bigint | undefined,
    node: 'artifact' | 'execution',
    known: Set<bigint>,
  ) => {
    if (contextId === undefined) throw invalidArgument('No context id is specified.');
    if (nodeId === undefined) throw invalidArgument(`No ${node} id is specified.`);
    if (!contexts.has(contextId)) throw invalidArgument(`Context id not found: ${contextId}`);
    if (!known.has(nodeId))
      throw invalidArgument(`${node === 'artifact' ? 'Artifact' : 'Execution'} id not found: ${nodeId}`);
  };
  for (const a of attributions) check(a.contextId, a.artifactId, 'artifact', artifacts);
  for (const a of associations) check(a.contextId, a.executionId, 'execution', executions);
  await insertAttributions(
    tx,
    attributions.map((a) => ({ contextId: a.contextId!, artifactId: a.artifactId! })),
  );
  await insertAssociations(
    tx,
    associations.map((a) => ({ contextId: a.contextId!, executionId: a.executionId! })),
  );
}

type LinksRpc =
  | 'putEvents'
  | 'getEventsByExecutionIDs'
  | 'getEventsByArtifactIDs'
  | 'putAttributionsAndAssociations'
  | 'putParentContexts'
  | 'getContextsByArtifact'
  | 'getContextsByExecution'
  | 'getParentContextsByContext'
  | 'getChildrenContextsByContext'
  | 'getParentContextsByContexts'
  | 'getChildrenContextsByContexts'
  | 'getArtifactsByContext'
  | 'getExecutionsByContext';

export const linkRpcs: RpcTable<LinksRpc> = {
  putEvents: write(async (tx, r) => {
    await insertEvents(tx, r.events ?? [], { checkNodesExist: true });
    return {};
  }),
  putAttributionsAndAssociations: write(async (tx, r) => {
    await putAttributionsAndAssociations(tx, r);
    return {};
  }),
  getEventsByExecutionIDs: read(async (tx, r) => ({ events: await eventsOfExecutions(tx, r.executionIds ?? []) })),
  getEventsByArtifactIDs: read(async (tx, r) => ({ events: await eventsOfArtifacts(tx, r.artifactIds ?? []) })),
  putParentContexts: write(async (tx, r) => {
    await putParentContexts(tx, r.parentContexts ?? []);
    return {};
  }),
  getContextsByArtifact: read(async (tx, r) => ({
    contexts: await contextsOf(tx, 'Attribution', 'artifact_id', r.artifactId, 'artifact'),
  })),
  getContextsByExecution: read(async (tx, r) => ({
    contexts: await contextsOf(tx, 'Association', 'execution_id', r.executionId, 'execution'),
  })),
  getParentContextsByContext: read(async (tx, r) => ({ contexts: await relativesOf(tx, 'parents', r.contextId) })),
  getChildrenContextsByContext: read(async (tx, r) => ({ contexts: await relativesOf(tx, 'children', r.contextId) })),
  getParentContextsByContexts: read(async (tx, r) => {
    const map = await relativesOfMany(tx, 'parents', r.contextIds ?? []);
    return { contexts: new Map([...map].map(([k, v]) => [k, { parentContexts: v }])) };
  }),
  getChildrenContextsByContexts: read(async (tx, r) => {
    const map = await relativesOfMany(tx, 'children', r.contextIds ?? []);
    return { contexts: new Map([...map].map(([k, v]) => [k, { childrenContexts: v }])) };
  }),
  getArtifactsByContext: read(async (tx, r) => {
    const page = await nodesOfContext(tx, ARTIFACT, 'Attribution', 'artifact_id', r.contextId, r.options);
    return { artifacts: page.nodes, nextPageToken: page.nextPageToken };
  }),
  getExecutionsByContext: read(async (tx, r) => {
    const page = await nodesOfContext(tx, EXECUTION, 'Association', 'execution_id', r.contextId, r.options);
    return { executions: page.nodes, nextPageToken: page.nextPageToken };
  }),
};

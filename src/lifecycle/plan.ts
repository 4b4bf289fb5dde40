/**
 * A deletion planned as a closure over the lineage graph. Each step is one set-based query over the id sets planned
 * so far (bound as single parameters), iterated to a fixpoint: the footprint rule adds the artifacts only deleted
 * nodes still reference, then blockers are computed; CASCADE adds what depends on them and iterates again. The
 * number of rounds is bounded by the lineage depth the cascade crosses, never by the number of nodes.
 */
import { failedPrecondition } from '../errors';
import { INPUT_LIKE as INPUT_EVENTS, OUTPUT_LIKE as OUTPUT_EVENTS } from '../mlmd/lineage-subgraph';
import type { Tx } from '../storage/database';
import { idSet } from '../storage/sql';
import { MAX_DELETE_NODES, MAX_LISTED_BLOCKERS, tooLarge } from './limits';
import { emptySets, type NodeSets } from './selection';

export type DeleteModeName = 'RESTRICT' | 'CASCADE';

/** Why a kept node still needs a node being deleted (the blocker message groups pairs by rule). */
const RULES = {
  consumed: 'artifacts consumed by kept executions (artifact→execution)',
  associated: 'contexts holding kept executions (context→execution)',
  parent: 'contexts parent of kept contexts (parent→child)',
} as const;

/** A node being deleted that a kept node still needs. */
export interface Blocker {
  rule: keyof typeof RULES;
  node: bigint;
  /** The kept node that needs it: what CASCADE deletes because of it. */
  dependant: { kind: 'execution' | 'context'; id: bigint };
}

export interface Plan {
  /** Every node to delete. */
  nodes: NodeSets;
  /** The part of `nodes` only CASCADE deletes. */
  cascaded: NodeSets;
}

/** Plans the deletion of `seeds`: RESTRICT throws FAILED_PRECONDITION when a blocker exists. */
export async function planDeletion(tx: Tx, seeds: NodeSets, mode: DeleteModeName): Promise<Plan> {
  const { plan, blockers } = await planClosure(tx, seeds, mode);
  if (blockers.length > 0) throw blocked(blockers);
  return plan;
}

/**
 * The plan and, under RESTRICT, the blockers that refuse it (CASCADE has none left): not thrown, so a caller that
 * planned before holding its locks (execute.ts) can plan again before trusting them.
 */
export async function planClosure(
  tx: Tx,
  seeds: NodeSets,
  mode: DeleteModeName,
): Promise<{ plan: Plan; blockers: Blocker[] }> {
  const nodes: NodeSets = {
    artifacts: new Set(seeds.artifacts),
    executions: new Set(seeds.executions),
    contexts: new Set(seeds.contexts),
  };
  let restricted: NodeSets | undefined;
  for (;;) {
    for (const id of await footprintArtifacts(tx, nodes)) nodes.artifacts.add(id);
    checkSize(nodes);
    const blockers = await findBlockers(tx, nodes);
    restricted ??= copy(nodes);
    if (blockers.length === 0 || mode === 'RESTRICT')
      return { plan: { nodes, cascaded: difference(nodes, restricted) }, blockers };
    for (const b of blockers)
      (b.dependant.kind === 'execution' ? nodes.executions : nodes.contexts).add(b.dependant.id);
  }
}

function copy(s: NodeSets): NodeSets {
  return { artifacts: new Set(s.artifacts), executions: new Set(s.executions), contexts: new Set(s.contexts) };
}

function difference(all: NodeSets, part: NodeSets): NodeSets {
  const out = emptySets();
  for (const k of ['artifacts', 'executions', 'contexts'] as const)
    for (const id of all[k]) if (!part[k].has(id)) out[k].add(id);
  return out;
}

export function nodeCount(s: NodeSets): number {
  return s.artifacts.size + s.executions.size + s.contexts.size;
}

function checkSize(s: NodeSets): void {
  if (nodeCount(s) > MAX_DELETE_NODES) throw tooLarge('selection');
}

/**
 * Artifacts that the deleted executions output or the deleted contexts hold, and that nothing kept references: no
 * event of a kept execution, no attribution to a kept context. Without them they would be left without a past.
 */
async function footprintArtifacts(tx: Tx, s: NodeSets): Promise<bigint[]> {
  if (s.executions.size === 0 && s.contexts.size === 0) return [];
  const e = idSet(tx, [...s.executions]);
  const c = idSet(tx, [...s.contexts]);
  const outputs = OUTPUT_EVENTS.join(', ');
  const rows = await tx.all<{ id: bigint }>(
    `SELECT cand.id FROM (` +
      `SELECT artifact_id AS id FROM Event WHERE execution_id IN (${e.sql}) AND type IN (${outputs}) ` +
      `UNION SELECT artifact_id AS id FROM Attribution WHERE context_id IN (${c.sql})) cand ` +
      `WHERE NOT EXISTS (SELECT 1 FROM Event ev WHERE ev.artifact_id = cand.id AND ev.execution_id NOT IN (${e.sql})) ` +
      `AND NOT EXISTS (SELECT 1 FROM Attribution at WHERE at.artifact_id = cand.id AND at.context_id NOT IN (${c.sql}))`,
    [e.param, c.param, e.param, c.param],
  );
  return rows.map((r) => r.id);
}

/**
 * Kept nodes that need a node being deleted: a kept execution that consumed a deleted artifact; a kept execution
 * associated with a deleted context; a kept context whose parent is deleted. Three queries, ordered for a stable
 * message.
 */
async function findBlockers(tx: Tx, s: NodeSets): Promise<Blocker[]> {
  const a = idSet(tx, [...s.artifacts]);
  const e = idSet(tx, [...s.executions]);
  const c = idSet(tx, [...s.contexts]);
  const inputs = INPUT_EVENTS.join(', ');
  const consumed = await tx.all<{ node: bigint; dependant: bigint }>(
    `SELECT DISTINCT artifact_id AS node, execution_id AS dependant FROM Event ` +
      `WHERE artifact_id IN (${a.sql}) AND execution_id NOT IN (${e.sql}) AND type IN (${inputs}) ` +
      `ORDER BY artifact_id, execution_id`,
    [a.param, e.param],
  );
  const associated = await tx.all<{ node: bigint; dependant: bigint }>(
    `SELECT context_id AS node, execution_id AS dependant FROM Association ` +
      `WHERE context_id IN (${c.sql}) AND execution_id NOT IN (${e.sql}) ORDER BY context_id, execution_id`,
    [c.param, e.param],
  );
  const children = await tx.all<{ node: bigint; dependant: bigint }>(
    `SELECT parent_context_id AS node, context_id AS dependant FROM ParentContext ` +
      `WHERE parent_context_id IN (${c.sql}) AND context_id NOT IN (${c.sql}) ORDER BY parent_context_id, context_id`,
    [c.param, c.param],
  );
  const as = (rule: Blocker['rule'], kind: 'execution' | 'context') => (r: { node: bigint; dependant: bigint }) => ({
    rule,
    node: r.node,
    dependant: { kind, id: r.dependant },
  });
  return [
    ...consumed.map(as('consumed', 'execution')),
    ...associated.map(as('associated', 'execution')),
    ...children.map(as('parent', 'context')),
  ];
}

/** FAILED_PRECONDITION naming the first blockers as compact pairs (a status message must stay short), grouped. */
export function blocked(blockers: readonly Blocker[]): Error {
  const shown = blockers.slice(0, MAX_LISTED_BLOCKERS);
  const groups = (Object.keys(RULES) as Array<Blocker['rule']>)
    .map((rule) => {
      const pairs = shown.filter((b) => b.rule === rule).map((b) => `${b.node}→${b.dependant.id}`);
      return pairs.length === 0 ? '' : `${RULES[rule]}: ${pairs.join(', ')}`;
    })
    .filter((g) => g !== '');
  const more = blockers.length > shown.length ? `, the first ${shown.length} listed` : '';
  return failedPrecondition(
    `mode RESTRICT: ${blockers.length} blocker(s)${more} (kept nodes that still need a node selected for deletion; ` +
      `mode CASCADE deletes them too): ${groups.join('; ')}`,
  );
}

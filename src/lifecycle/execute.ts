/**
 * One deletion request, in one transaction: resolve the selection, plan it (plan.ts), lock the planned nodes on the
 * shared backends, then count (dry run) or delete (rows.ts) and record it in the audit trail (audit.ts).
 *
 * Concurrent writers: every MLMD writer that links to an existing node reads it share-locked (storage/sql.ts
 * lockedIds), and the deletion locks every planned node FOR UPDATE, then plans again, until the plan holds no node it
 * has not locked. A link committed first is seen by that new plan (as a blocker, or taken by CASCADE); a link
 * attempted after the locks waits for the deletion and then finds its node gone (INVALID_ARGUMENT, as MLMD answers
 * for a missing node). SQLite runs one writing transaction at a time, so there the first plan is final.
 */
import {
  DeleteMode,
  type DeleteRequest,
  type DeleteResponse,
  type DeletedNodes,
  type NodeIds,
} from '../../generated/cmf_mlmd/v1/lifecycle';
import { invalidArgument } from '../errors';
import type { Database, Tx } from '../storage/database';
import { hasRowLocks, lockedIds, nowMillis } from '../storage/sql';
import { recordDeletion } from './audit';
import { MAX_LISTED_IDS } from './limits';
import { blocked, type DeleteModeName, planClosure, planDeletion, type Plan } from './plan';
import { countRows, deleteRows } from './rows';
import { emptySets, type NodeSets, resolveSelection } from './selection';

/** Who asked, until authentication fills it in from the call. */
export const ANONYMOUS = 'anonymous';

const MODES: Record<number, DeleteModeName> = {
  [DeleteMode.DELETE_MODE_RESTRICT]: 'RESTRICT',
  [DeleteMode.DELETE_MODE_CASCADE]: 'CASCADE',
};

export async function runDeletion(
  db: Database,
  request: DeleteRequest,
  principal = ANONYMOUS,
): Promise<DeleteResponse> {
  const modeNumber = request.mode ?? DeleteMode.DELETE_MODE_RESTRICT;
  const mode = MODES[modeNumber];
  if (!mode) throw invalidArgument(`mode: unknown value ${modeNumber} (RESTRICT or CASCADE)`);
  const dryRun = request.dryRun ?? false;
  return db.transaction(dryRun ? 'read' : 'write', async (tx) => {
    const seeds = await resolveSelection(tx, request.selection);
    const plan = dryRun ? await planDeletion(tx, seeds, mode) : await lockedPlan(tx, seeds, mode);
    const rows = dryRun ? await countRows(tx, plan.nodes) : await deleteRows(tx, plan.nodes);
    const deletionId = dryRun
      ? 0n
      : await recordDeletion(tx, {
          principal,
          timeMillis: nowMillis(tx),
          selection: request.selection!,
          mode: modeNumber,
          artifacts: BigInt(plan.nodes.artifacts.size),
          executions: BigInt(plan.nodes.executions.size),
          contexts: BigInt(plan.nodes.contexts.size),
          events: rows.events ?? 0n,
        });
    return { dryRun, deleted: listed(plan.nodes), cascaded: listed(plan.cascaded), rows, deletionId };
  });
}

/**
 * Plans, locks what the plan holds, and plans again until a plan holds no node it had not locked before it was made
 * (see the header): only then are its footprint and its blockers final.
 */
async function lockedPlan(tx: Tx, seeds: NodeSets, mode: DeleteModeName): Promise<Plan> {
  if (!hasRowLocks(tx)) return planDeletion(tx, seeds, mode);
  const locked = emptySets();
  for (;;) {
    const { plan, blockers } = await planClosure(tx, seeds, mode);
    if ((await lockNew(tx, plan.nodes, locked)) === 0) {
      if (blockers.length > 0) throw blocked(blockers);
      return plan;
    }
  }
}

/** Locks the nodes of `nodes` not in `locked` yet (FOR UPDATE, in id order), adds them to it; returns how many. */
async function lockNew(tx: Tx, nodes: NodeSets, locked: NodeSets): Promise<number> {
  let fresh = 0;
  for (const [kind, table] of [
    ['artifacts', 'Artifact'],
    ['executions', 'Execution'],
    ['contexts', 'Context'],
  ] as const) {
    const ids = [...nodes[kind]].filter((id) => !locked[kind].has(id));
    if (ids.length === 0) continue;
    fresh += ids.length;
    await lockedIds(tx, table, ids, 'update');
    for (const id of ids) locked[kind].add(id);
  }
  return fresh;
}

const ascending = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function ids(s: Set<bigint>): NodeIds {
  return { count: BigInt(s.size), ids: [...s].sort(ascending).slice(0, MAX_LISTED_IDS) };
}

function listed(s: NodeSets): DeletedNodes {
  return { artifacts: ids(s.artifacts), executions: ids(s.executions), contexts: ids(s.contexts) };
}

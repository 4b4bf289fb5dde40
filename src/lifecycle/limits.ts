/** The bounds of one deletion request (stated in the README's "Deletion" section). */
import { resourceExhausted } from '../errors';

/**
 * The most nodes (artifacts, executions and contexts together) one request deletes, in one transaction: the plan's
 * id sets are held in memory and bound as single parameters, and the transaction holds row locks on every node.
 */
export const MAX_DELETE_NODES = 10_000;

/** Ids listed per kind in a response (the counts are always complete). */
export const MAX_LISTED_IDS = 1000;

/** Blockers named in a FAILED_PRECONDITION message (with their total). */
export const MAX_LISTED_BLOCKERS = 100;

export const tooLarge = (field: string) =>
  resourceExhausted(
    `${field}: the deletion would take more than ${MAX_DELETE_NODES} nodes, the most one request deletes; select fewer`,
  );

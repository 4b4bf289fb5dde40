/**
 * Context writes inside the composite RPCs (PutExecution, PutLineageSubgraph), with their reuse options.
 */
import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import { aborted, Code, invalidArgument, MlmdError, notFound } from '../errors';
import type { Tx } from '../storage/database';
import { idSet, serializeOn, textSet, withSavepoint } from '../storage/sql';
import { AnyNode, CONTEXT, NodeKindSpec } from './node-kinds';
import { NodeWriter } from './node-store';

export interface ContextWriteOptions {
  /** A context without id whose (type_id, name) is stored is reused as is (not updated). */
  reuseIfAlreadyExist: boolean;
  /** PutExecution only: a context with an id is only checked for existence (NOT_FOUND), never updated. */
  forceReuse: boolean;
}

const contextKey = (typeId: bigint, name: string) => `${typeId}\u0000${name}`;

/**
 * Writes the contexts of PutExecution / PutLineageSubgraph in request order and returns their ids, index-aligned.
 *
 * The stored contexts the reuse options can hit are found with one query each up front; a map of (type_id, name)
 * -> id is then kept current as contexts are written, so a context repeated within the request is reused exactly as
 * MLMD's per-context lookup would reuse it.
 */
export async function writeContexts(
  tx: Tx,
  contexts: readonly Context[],
  options: ContextWriteOptions,
): Promise<bigint[]> {
  if (contexts.length === 0) return [];

  // Existence of the contexts that are only referenced (force_reuse_context).
  const referenced = options.forceReuse ? contexts.filter((c) => c.id !== undefined).map((c) => c.id!) : [];
  const existing = new Set<bigint>();
  if (referenced.length > 0) {
    const set = idSet(tx, [...new Set(referenced)]);
    for (const r of await tx.all<{ id: bigint }>(`SELECT id FROM Context WHERE id IN (${set.sql})`, [set.param]))
      existing.add(r.id);
  }

  // Stored contexts that reuse-by-name could hit: candidates by type and by name, matched exactly below.
  const byName = new Map<string, bigint>();
  const nameOf = new Map<bigint, string>();
  const reusable = options.reuseIfAlreadyExist
    ? contexts.filter((c) => c.id === undefined && c.typeId !== undefined && c.name !== undefined)
    : [];
  if (reusable.length > 0) {
    // Concurrent get-or-create of the same context (from any server on a shared database) takes turns.
    await serializeOn(
      tx,
      reusable.map((c) => `context:${c.typeId}:${c.name}`),
    );
    const types = idSet(tx, [...new Set(reusable.map((c) => c.typeId!))]);
    const names = textSet(tx, [...new Set(reusable.map((c) => c.name!))]);
    const wanted = new Set(reusable.map((c) => contextKey(c.typeId!, c.name!)));
    const rows = await tx.all<{ id: bigint; type_id: bigint; name: string }>(
      `SELECT id, type_id, name FROM Context WHERE type_id IN (${types.sql}) AND name IN (${names.sql})`,
      [types.param, names.param],
    );
    for (const r of rows) {
      const key = contextKey(r.type_id, r.name);
      if (!wanted.has(key)) continue;
      byName.set(key, r.id);
      nameOf.set(r.id, key);
    }
  }

  const writer = await NodeWriter.prepare(
    tx,
    CONTEXT,
    contexts.filter((c) => !(options.forceReuse && c.id !== undefined)),
  );
  const ids: bigint[] = [];
  for (const context of contexts) {
    if (context.id !== undefined && options.forceReuse) {
      if (!existing.has(context.id)) throw notFound(`Cannot reuse context: Results missing for ids: {${context.id}}`);
      ids.push(context.id);
      continue;
    }
    // Required even for contexts that carry an id.
    if (context.typeId === undefined) throw invalidArgument('Context is missing a type_id');
    if (context.name === undefined) throw invalidArgument('Context is missing a name');
    const key = contextKey(context.typeId, context.name);
    if (options.reuseIfAlreadyExist && context.id === undefined && byName.has(key)) {
      ids.push(byName.get(key)!);
      continue;
    }
    let id: bigint;
    const reusing = options.reuseIfAlreadyExist && context.id === undefined;
    try {
      // Under a savepoint when reusing: the collision below is handled, and PostgreSQL would otherwise abort.
      id = reusing ? await withSavepoint(tx, () => writer.upsert(context)) : await writer.upsert(context);
    } catch (e) {
      if (!(reusing && e instanceof MlmdError && e.code === Code.ALREADY_EXISTS)) throw e;
      // Not found by its exact name a moment ago, yet the insert collided. Either the database compares names
      // without case (MySQL's default collations: Google's server reuses that context), or another writer created
      // it meanwhile (the client retries on ABORTED).
      const stored = await tx.get<{ id: bigint }>('SELECT id FROM Context WHERE type_id = ? AND name = ?', [
        context.typeId,
        context.name,
      ]);
      if (!stored) {
        throw aborted(
          `Concurrent creation of the same context at the first time. Retry can reuse the stored context: ${e.message}`,
        );
      }
      ids.push(stored.id);
      continue;
    }
    // A full-replace update may have renamed a stored context: keep the lookup map exact.
    const previous = nameOf.get(id);
    if (previous !== undefined && byName.get(previous) === id) byName.delete(previous);
    byName.set(key, id);
    nameOf.set(id, key);
    ids.push(id);
  }
  return ids;
}

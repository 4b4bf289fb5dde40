/**
 * The rows that reference the nodes of a deletion, as data: one entry per table, leaves first (paths before their
 * events, links and properties before the nodes), so counting (dry run) and deleting read the same conditions.
 */
import type { DeletedRows } from '../../generated/cmf_mlmd/v1/lifecycle';
import type { SqlValue, Tx } from '../storage/database';
import { idSet } from '../storage/sql';
import type { NodeSets } from './selection';

interface RowSet {
  table: string;
  /** The counter of DeletedRows it adds to (undefined: the nodes themselves). */
  counter?: keyof Omit<DeletedRows, '_unknownFields'>;
  /** A condition on `table` and its parameters. */
  where(s: Bound): { sql: string; params: SqlValue[] };
}

type Bound = Record<'a' | 'e' | 'c', { sql: string; param: SqlValue }>;

const eventsOf = (s: Bound) => ({
  sql: `artifact_id IN (${s.a.sql}) OR execution_id IN (${s.e.sql})`,
  params: [s.a.param, s.e.param],
});

const either = (left: string, l: keyof Bound, right: string, r: keyof Bound) => (s: Bound) => ({
  sql: `${left} IN (${s[l].sql}) OR ${right} IN (${s[r].sql})`,
  params: [s[l].param, s[r].param],
});

const owned = (column: string, k: keyof Bound) => (s: Bound) => ({
  sql: `${column} IN (${s[k].sql})`,
  params: [s[k].param],
});

export const ROW_SETS: readonly RowSet[] = [
  {
    table: 'EventPath',
    counter: 'eventPaths',
    where: (s) => {
      const ev = eventsOf(s);
      return { sql: `event_id IN (SELECT id FROM Event WHERE ${ev.sql})`, params: ev.params };
    },
  },
  { table: 'Event', counter: 'events', where: eventsOf },
  { table: 'Attribution', counter: 'attributions', where: either('artifact_id', 'a', 'context_id', 'c') },
  { table: 'Association', counter: 'associations', where: either('execution_id', 'e', 'context_id', 'c') },
  { table: 'ParentContext', counter: 'parentContexts', where: either('context_id', 'c', 'parent_context_id', 'c') },
  { table: 'ArtifactProperty', counter: 'properties', where: owned('artifact_id', 'a') },
  { table: 'ExecutionProperty', counter: 'properties', where: owned('execution_id', 'e') },
  { table: 'ContextProperty', counter: 'properties', where: owned('context_id', 'c') },
  { table: 'Artifact', where: owned('id', 'a') },
  { table: 'Execution', where: owned('id', 'e') },
  { table: 'Context', where: owned('id', 'c') },
];

function bind(tx: Tx, s: NodeSets): Bound {
  return { a: idSet(tx, [...s.artifacts]), e: idSet(tx, [...s.executions]), c: idSet(tx, [...s.contexts]) };
}

const zero = (): DeletedRows => ({
  events: 0n,
  eventPaths: 0n,
  attributions: 0n,
  associations: 0n,
  parentContexts: 0n,
  properties: 0n,
});

/** What deleting `s` would remove beyond the nodes (the dry run's answer): one COUNT per table. */
export async function countRows(tx: Tx, s: NodeSets): Promise<DeletedRows> {
  const bound = bind(tx, s);
  const rows = zero();
  for (const set of ROW_SETS) {
    if (!set.counter) continue;
    const w = set.where(bound);
    const got = await tx.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM ${set.table} WHERE ${w.sql}`, w.params);
    rows[set.counter] = (rows[set.counter] ?? 0n) + BigInt(got?.n ?? 0);
  }
  return rows;
}

/** Deletes `s` and every row referencing it, leaves first: one DELETE per table. */
export async function deleteRows(tx: Tx, s: NodeSets): Promise<DeletedRows> {
  const bound = bind(tx, s);
  const rows = zero();
  for (const set of ROW_SETS) {
    const w = set.where(bound);
    const { changes } = await tx.run(`DELETE FROM ${set.table} WHERE ${w.sql}`, w.params);
    if (set.counter) rows[set.counter] = (rows[set.counter] ?? 0n) + BigInt(changes);
  }
  return rows;
}

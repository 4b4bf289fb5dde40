/**
 * Reading events with their paths, set-based: one query for the events, one for all their path steps.
 */
import type { Event } from '../../generated/ml_metadata/proto/metadata_store';
import type { Row, SqlValue, Tx } from '../storage/database';
import { idSet } from '../storage/sql';

/** Events selected by `where` (a condition on Event aliased `e`), ordered by `orderBy`. */
export async function loadEvents(
  tx: Tx,
  where: string,
  params: readonly SqlValue[],
  orderBy = 'e.id',
): Promise<Event[]> {
  return (await loadEventRecords(tx, where, params, orderBy)).map((r) => r.event);
}

/** The same with each event's id (Event has no id field; the graph projection keys events by it). */
export async function loadEventRecords(
  tx: Tx,
  where: string,
  params: readonly SqlValue[],
  orderBy = 'e.id',
): Promise<Array<{ id: bigint; event: Event }>> {
  const rows = await tx.all<Row>(
    `SELECT e.id, e.artifact_id, e.execution_id, e.type, e.milliseconds_since_epoch FROM Event e WHERE ${where} ORDER BY ${orderBy}`,
    params,
  );
  if (rows.length === 0) return [];
  const byId = new Map<bigint, Event>();
  const records = rows.map((r) => {
    const event: Event = {
      artifactId: r.artifact_id as bigint,
      executionId: r.execution_id as bigint,
      type: Number(r.type),
    };
    if (r.milliseconds_since_epoch !== null) event.millisecondsSinceEpoch = r.milliseconds_since_epoch as bigint;
    byId.set(r.id as bigint, event);
    return { id: r.id as bigint, event };
  });
  const ids = idSet(tx, [...byId.keys()]);
  // EventPath has no ordinal column: steps are ordered by insertion (the adapter knows how, storage/schema.ts).
  const steps = await tx.all<Row>(
    `SELECT event_id, is_index_step, step_index, step_key FROM EventPath WHERE event_id IN (${ids.sql}) ` +
      `ORDER BY ${tx.adapter.eventPathOrder}`,
    [ids.param],
  );
  for (const s of steps) {
    const event = byId.get(s.event_id as bigint)!;
    event.path ??= { steps: [] };
    event.path.steps!.push(
      Number(s.is_index_step)
        ? { value: { $case: 'index', value: s.step_index as bigint } }
        : { value: { $case: 'key', value: s.step_key as string } },
    );
  }
  return records;
}

export async function eventsOfExecutions(tx: Tx, executionIds: readonly bigint[]): Promise<Event[]> {
  if (executionIds.length === 0) return [];
  const set = idSet(tx, [...new Set(executionIds)]);
  return loadEvents(tx, `e.execution_id IN (${set.sql})`, [set.param], 'e.execution_id, e.id');
}

export async function eventsOfArtifacts(tx: Tx, artifactIds: readonly bigint[]): Promise<Event[]> {
  if (artifactIds.length === 0) return [];
  const set = idSet(tx, [...new Set(artifactIds)]);
  return loadEvents(tx, `e.artifact_id IN (${set.sql})`, [set.param], 'e.artifact_id, e.id');
}

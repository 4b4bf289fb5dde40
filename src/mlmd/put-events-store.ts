/**
 * Writing links: events (with their path steps), attributions and associations. Shared by PutEvents,
 * PutAttributionsAndAssociations, PutExecution and PutLineageSubgraph, so the rules live in one place.
 *
 * Set-based: a batch is a handful of multi-row statements (chunked to stay far below bound-parameter limits),
 * never a statement per row. MLMD validates and inserts event by event; we validate the whole batch first and only
 * on the error path replay MLMD's order (insert the events before the first bad one, so an earlier duplicate still
 * wins with ALREADY_EXISTS), which gives the same status for every request at the cost of nothing on the happy path.
 */
import { type Event, Event_Type } from '../../generated/ml_metadata/proto/metadata_store';
import { alreadyExists, invalidArgument, type MlmdError } from '../errors';
import { noteChanged, noteLinked } from '../storage/change-log';
import { type SqlValue, type Tx, UniqueViolation } from '../storage/database';
import {
  hasRowLocks,
  idSet,
  insertReturning,
  lockedIds,
  nowMillis,
  onConflictIgnore,
  withSavepoint,
} from '../storage/sql';

/** Rows per multi-row INSERT: a few hundred bound values per statement, and few distinct statement texts. */
const CHUNK_ROWS = 100;

export interface InsertEventsOptions {
  /**
   * Check that every event's artifact and execution exist (INVALID_ARGUMENT otherwise). PutEvents checks; MLMD's
   * PutExecution and PutLineageSubgraph do not (their callers decide what to validate themselves).
   */
  checkNodesExist: boolean;
}

/** An event whose ids and type are known to be set (after validation). */
interface ValidEvent {
  artifactId: bigint;
  executionId: bigint;
  type: Event_Type;
  millisecondsSinceEpoch?: bigint;
  steps: Array<{ index: bigint } | { key: string }>;
}

/** Event types a request may store: the declared ones except UNKNOWN (an out-of-range value counts as absent). */
function isStorableType(type: number | undefined): type is Event_Type {
  return (
    type !== undefined &&
    Number.isInteger(type) &&
    type >= Event_Type.DECLARED_OUTPUT &&
    type <= Event_Type.PENDING_OUTPUT
  );
}

/** The first field-level problem of an event, as MLMD reports it, or undefined. */
function fieldError(event: Event): MlmdError | undefined {
  if (event.artifactId === undefined) return invalidArgument('No artifact id is specified.');
  if (event.executionId === undefined) return invalidArgument('No execution id is specified.');
  if (!isStorableType(event.type)) return invalidArgument('No event type is specified.');
  return undefined;
}

function toValid(event: Event): ValidEvent {
  const steps: ValidEvent['steps'] = [];
  for (const step of event.path?.steps ?? []) {
    // A step with neither an index nor a key carries nothing; MLMD drops it silently.
    if (step.value?.$case === 'index') steps.push({ index: step.value.value });
    else if (step.value?.$case === 'key') steps.push({ key: step.value.value });
  }
  return {
    artifactId: event.artifactId!,
    executionId: event.executionId!,
    type: event.type!,
    millisecondsSinceEpoch: event.millisecondsSinceEpoch,
    steps,
  };
}

const eventKey = (e: { artifactId: bigint; executionId: bigint; type: number }) =>
  `${e.artifactId}:${e.executionId}:${e.type}`;

const duplicateError = (e: { artifactId: bigint; executionId: bigint; type: number }) =>
  alreadyExists(
    `Given event already exists: artifact_id ${e.artifactId}, execution_id ${e.executionId}, type ${Event_Type[e.type] ?? e.type}`,
  );

/** Ids (of `table`) among `ids` that are not stored; one query. */
async function missingIds(tx: Tx, table: 'Artifact' | 'Execution', ids: readonly bigint[]): Promise<Set<bigint>> {
  // Share-locked: a deletion of one of these nodes waits for this transaction, or this one finds the node gone.
  const present = await lockedIds(tx, table, ids, 'share');
  return new Set(ids.filter((id) => !present.has(id)));
}

/**
 * Inserts events in request order with their path steps; returns the new event ids, index-aligned with `events`.
 *
 * Per event, as MLMD: artifact_id, execution_id and a type other than UNKNOWN are required (INVALID_ARGUMENT); with
 * `checkNodesExist` the artifact and execution must exist (INVALID_ARGUMENT); `milliseconds_since_epoch` is stored
 * verbatim when present, else the current time; an `(artifact_id, execution_id, type)` that is already stored or
 * repeated in the batch fails with ALREADY_EXISTS. Path steps are stored in order; empty steps are dropped.
 */
export async function insertEvents(tx: Tx, events: readonly Event[], options: InsertEventsOptions): Promise<bigint[]> {
  if (events.length === 0) return [];

  // The first event (in request order) with a field-level or existence problem, if any.
  let firstBad: { index: number; error: MlmdError } | undefined;
  for (let i = 0; i < events.length && !firstBad; i++) {
    const error = fieldError(events[i]);
    if (error) firstBad = { index: i, error };
  }
  const checked = events.slice(0, firstBad?.index ?? events.length).map(toValid);
  // On the shared backends the check runs even for nodes this request wrote or reused: it share-locks them, so a
  // concurrent deletion (lifecycle/) cannot remove them under the new events (SQLite serialises writers instead).
  if ((options.checkNodesExist || hasRowLocks(tx)) && checked.length > 0) {
    const noArtifact = await missingIds(
      tx,
      'Artifact',
      checked.map((e) => e.artifactId),
    );
    const noExecution = await missingIds(
      tx,
      'Execution',
      checked.map((e) => e.executionId),
    );
    const index = checked.findIndex((e) => noArtifact.has(e.artifactId) || noExecution.has(e.executionId));
    if (index >= 0) {
      const e = checked[index];
      firstBad = {
        index,
        error: noArtifact.has(e.artifactId)
          ? invalidArgument(`No artifact with the given id ${e.artifactId}`)
          : invalidArgument(`No execution with the given id ${e.executionId}`),
      };
      checked.length = index;
    }
  }

  // MLMD would have inserted every event before the bad one; a duplicate among them is the error it reports.
  const ids = await insertValidEvents(tx, checked);
  if (firstBad) throw firstBad.error;
  return ids;
}

async function insertValidEvents(tx: Tx, events: readonly ValidEvent[]): Promise<bigint[]> {
  if (events.length === 0) return [];
  const seen = new Set<string>();
  for (const e of events) {
    const key = eventKey(e);
    if (seen.has(key)) {
      // Repeated inside the request; an earlier event may still collide with a stored one, which MLMD reports first.
      await throwIfStoredDuplicate(tx, events.slice(0, events.indexOf(e)));
      throw duplicateError(e);
    }
    seen.add(key);
  }

  const now = nowMillis(tx);
  const idByKey = new Map<string, bigint>();
  for (let start = 0; start < events.length; start += CHUNK_ROWS) {
    const chunk = events.slice(start, start + CHUNK_ROWS);
    const params: SqlValue[] = [];
    for (const e of chunk) params.push(e.artifactId, e.executionId, e.type, e.millisecondsSinceEpoch ?? now);
    let rows: EventKeyRow[];
    try {
      // Under a savepoint: on PostgreSQL a failed statement otherwise aborts the transaction, and the catch below queries.
      rows = await withSavepoint(tx, () => insertEventRows(tx, chunk, params));
    } catch (err) {
      if (err instanceof UniqueViolation) {
        // Earlier chunks went in cleanly and this statement was undone, so the culprit is in this chunk.
        await throwIfStoredDuplicate(tx, chunk);
        throw alreadyExists(`Given event already exists: ${err.message}`);
      }
      throw err;
    }
    for (const r of rows) {
      idByKey.set(eventKey({ artifactId: r.artifact_id, executionId: r.execution_id, type: Number(r.type) }), r.id);
    }
  }
  const ids = events.map((e) => idByKey.get(eventKey(e))!);
  noteChanged(tx, 'event', ...ids);

  // Path steps in event order, then step order: EventPath has no ordinal, so insertion order is the path order.
  const steps: SqlValue[][] = [];
  events.forEach((e, i) => {
    for (const s of e.steps) steps.push('index' in s ? [ids[i], 1, s.index, null] : [ids[i], 0, null, s.key]);
  });
  for (let start = 0; start < steps.length; start += CHUNK_ROWS) {
    const chunk = steps.slice(start, start + CHUNK_ROWS);
    await tx.run(
      `INSERT INTO EventPath (event_id, is_index_step, step_index, step_key) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
      chunk.flat(),
    );
  }
  return ids;
}

type EventKeyRow = { id: bigint; artifact_id: bigint; execution_id: bigint; type: bigint };

/**
 * Inserts one chunk of events and returns their ids with their unique keys (artifact, execution, type), in no
 * particular order: RETURNING promises none, so ids are matched back through the key. Where there is no RETURNING
 * (MySQL) the new rows are found again through that key, among the ids from the statement's first one on.
 */
async function insertEventRows(tx: Tx, chunk: readonly ValidEvent[], params: SqlValue[]): Promise<EventKeyRow[]> {
  const insert =
    'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES ' +
    chunk.map(() => '(?, ?, ?, ?)').join(', ');
  return insertReturning<EventKeyRow>(
    tx,
    insert,
    params,
    ['id', 'artifact_id', 'execution_id', 'type'],
    async (firstId) => {
      const artifacts = idSet(tx, [...new Set(chunk.map((e) => e.artifactId))]);
      const executions = idSet(tx, [...new Set(chunk.map((e) => e.executionId))]);
      const wanted = new Set(chunk.map(eventKey));
      const rows = await tx.all<EventKeyRow>(
        `SELECT id, artifact_id, execution_id, type FROM Event WHERE id >= ? AND artifact_id IN (${artifacts.sql}) ` +
          `AND execution_id IN (${executions.sql})`,
        [firstId, artifacts.param, executions.param],
      );
      return rows.filter((r) =>
        wanted.has(eventKey({ artifactId: r.artifact_id, executionId: r.execution_id, type: Number(r.type) })),
      );
    },
  );
}

/**
 * Throws ALREADY_EXISTS naming the first of `events` (in order) whose key is already stored. One query over the
 * candidate artifact x execution pairs; only run on error paths.
 */
async function throwIfStoredDuplicate(tx: Tx, events: readonly ValidEvent[]): Promise<void> {
  if (events.length === 0) return;
  const artifacts = idSet(tx, [...new Set(events.map((e) => e.artifactId))]);
  const executions = idSet(tx, [...new Set(events.map((e) => e.executionId))]);
  const stored = await tx.all<{ artifact_id: bigint; execution_id: bigint; type: bigint }>(
    `SELECT artifact_id, execution_id, type FROM Event WHERE artifact_id IN (${artifacts.sql}) AND execution_id IN (${executions.sql})`,
    [artifacts.param, executions.param],
  );
  const keys = new Set(
    stored.map((r) => eventKey({ artifactId: r.artifact_id, executionId: r.execution_id, type: Number(r.type) })),
  );
  const hit = events.find((e) => keys.has(eventKey(e)));
  if (hit) throw duplicateError(hit);
}

export interface AttributionPair {
  contextId: bigint;
  artifactId: bigint;
}

export interface AssociationPair {
  contextId: bigint;
  executionId: bigint;
}

/**
 * Inserts link rows, ignoring pairs that are already stored or repeated (MLMD treats both as success). No existence
 * checks: callers that must validate (PutAttributionsAndAssociations) do so before calling.
 */
async function insertLinks(
  tx: Tx,
  table: 'Attribution' | 'Association',
  column: string,
  pairs: ReadonlyArray<[bigint, bigint]>,
): Promise<void> {
  await lockLinkedNodes(tx, table, pairs);
  const seen = new Set<string>();
  const rows: Array<[bigint, bigint]> = [];
  for (const [contextId, nodeId] of pairs) {
    const key = `${contextId}:${nodeId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push([contextId, nodeId]);
  }
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS);
    await tx.run(
      `INSERT INTO ${table} (context_id, ${column}) VALUES ${chunk.map(() => '(?, ?)').join(', ')} ` +
        onConflictIgnore(tx, ['context_id', column]),
      chunk.flat(),
    );
  }
}

/**
 * On the shared backends, share-locks both ends of every link (a deletion in lifecycle/ locks what it deletes FOR
 * UPDATE), so a link never outlives its node; an end already gone was deleted under this request: INVALID_ARGUMENT,
 * as for any missing node. Nothing to do on SQLite, whose writers are serialised.
 */
async function lockLinkedNodes(
  tx: Tx,
  table: 'Attribution' | 'Association',
  pairs: ReadonlyArray<[bigint, bigint]>,
): Promise<void> {
  if (!hasRowLocks(tx)) return;
  const ends: Array<['Context' | 'Artifact' | 'Execution', bigint[]]> = [
    ['Context', pairs.map((p) => p[0])],
    [table === 'Attribution' ? 'Artifact' : 'Execution', pairs.map((p) => p[1])],
  ];
  for (const [nodeTable, ids] of ends) {
    const present = await lockedIds(tx, nodeTable, ids, 'share');
    const gone = ids.find((id) => !present.has(id));
    if (gone !== undefined) throw invalidArgument(`${nodeTable} id not found: ${gone}`);
  }
}

export async function insertAttributions(tx: Tx, pairs: readonly AttributionPair[]): Promise<void> {
  noteLinked(
    tx,
    'attribution',
    pairs.map((p) => [p.contextId, p.artifactId] as const),
  );
  await insertLinks(
    tx,
    'Attribution',
    'artifact_id',
    pairs.map((p) => [p.contextId, p.artifactId]),
  );
}

export async function insertAssociations(tx: Tx, pairs: readonly AssociationPair[]): Promise<void> {
  noteLinked(
    tx,
    'association',
    pairs.map((p) => [p.contextId, p.executionId] as const),
  );
  await insertLinks(
    tx,
    'Association',
    'execution_id',
    pairs.map((p) => [p.contextId, p.executionId]),
  );
}

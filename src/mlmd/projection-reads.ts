/**
 * The questions the Neo4j projection (src/graph/) asks of MLMD's tables beyond whole records (those come from
 * node-store.ts and event-reader.ts): links filtered by a context type, the executions around an artifact's uri,
 * a CMF artifact group's events. One layer (mlmd/) reads MLMD's schema; the projection writes no SQL of its own.
 * Each is one statement (id lists as one bound parameter), whatever the number of ids.
 */
import type { Tx } from '../storage/database';
import { idSet } from '../storage/sql';

/** (execution, context) pairs: each execution's associated contexts of the type named `typeName`, in context order. */
export async function associatedContextsOfType(
  tx: Tx,
  typeName: string,
  executionIds: readonly bigint[],
): Promise<Array<{ executionId: bigint; contextId: bigint }>> {
  const set = idSet(tx, executionIds);
  const rows = await tx.all<{ execution_id: bigint; context_id: bigint }>(
    `SELECT a.execution_id, a.context_id FROM Association a JOIN Context c ON c.id = a.context_id ` +
      `JOIN Type t ON t.id = c.type_id WHERE t.name = ? AND a.execution_id IN (${set.sql}) ORDER BY a.context_id`,
    [typeName, set.param],
  );
  return rows.map((r) => ({ executionId: r.execution_id, contextId: r.context_id }));
}

/** The executions with an event of `eventType` on an artifact of this type and uri, with that artifact's name. */
export async function executionsAroundUri(
  tx: Tx,
  typeId: bigint,
  uri: string,
  eventType: number,
): Promise<Array<{ executionId: bigint; artifactName: string | null }>> {
  const rows = await tx.all<{ execution_id: bigint; name: string | null }>(
    `SELECT DISTINCT ev.execution_id, ar.name FROM Event ev JOIN Artifact ar ON ar.id = ev.artifact_id ` +
      `WHERE ar.uri = ? AND ar.type_id = ? AND ev.type = ? ORDER BY ev.execution_id`,
    [uri, typeId, eventType],
  );
  return rows.map((r) => ({ executionId: r.execution_id, artifactName: r.name }));
}

/**
 * Whether the artifact is tied to a context of the type named `typeName`: attributed to one, or in an event of an
 * execution associated with one.
 */
export async function tiedToContextOfType(tx: Tx, artifactId: bigint, typeName: string): Promise<boolean> {
  const hit = await tx.get(
    `SELECT 1 AS hit FROM Attribution at JOIN Context c ON c.id = at.context_id JOIN Type t ON t.id = c.type_id ` +
      `WHERE at.artifact_id = ? AND t.name = ? ` +
      `UNION ALL SELECT 1 AS hit FROM Event ev JOIN Association s ON s.execution_id = ev.execution_id ` +
      `JOIN Context c ON c.id = s.context_id JOIN Type t ON t.id = c.type_id WHERE ev.artifact_id = ? AND t.name = ? LIMIT 1`,
    [artifactId, typeName, artifactId, typeName],
  );
  return hit !== undefined;
}

/** The ids of every event of these artifacts or executions. */
export async function eventIdsOf(
  tx: Tx,
  artifactIds: readonly bigint[],
  executionIds: readonly bigint[],
): Promise<bigint[]> {
  const aSet = idSet(tx, artifactIds);
  const xSet = idSet(tx, executionIds);
  const rows = await tx.all<{ id: bigint }>(
    `SELECT id FROM Event WHERE artifact_id IN (${aSet.sql}) OR execution_id IN (${xSet.sql})`,
    [aSet.param, xSet.param],
  );
  return rows.map((r) => r.id);
}

/** The context's parent contexts of the type named `typeName`, in id order. */
export async function parentContextIdsOfType(tx: Tx, contextId: bigint, typeName: string): Promise<bigint[]> {
  const rows = await tx.all<{ id: bigint }>(
    `SELECT pc.parent_context_id AS id FROM ParentContext pc JOIN Context p ON p.id = pc.parent_context_id ` +
      `JOIN Type t ON t.id = p.type_id WHERE pc.context_id = ? AND t.name = ? ORDER BY pc.parent_context_id`,
    [contextId, typeName],
  );
  return rows.map((r) => r.id);
}

/** The execution of the artifact's first event (by event id), if it has any. */
export async function firstEventExecutionId(tx: Tx, artifactId: bigint): Promise<bigint | undefined> {
  const first = await tx.get<{ execution_id: bigint }>(
    'SELECT execution_id FROM Event WHERE artifact_id = ? ORDER BY id LIMIT 1',
    [artifactId],
  );
  return first?.execution_id;
}

/** Every artifact of this type with this uri, in id order. */
export async function artifactIdsOfTypeAndUri(tx: Tx, typeId: bigint, uri: string): Promise<bigint[]> {
  const rows = await tx.all<{ id: bigint }>('SELECT id FROM Artifact WHERE type_id = ? AND uri = ? ORDER BY id', [
    typeId,
    uri,
  ]);
  return rows.map((r) => r.id);
}

/** One distinct contribution of a group's events: see eventContributions. */
export interface EventContribution {
  artifactId: bigint;
  /** The event's first path key (cmflib's `<path>:<hash>`), null for an event without one. */
  stepKey: string | null;
  /** Only when asked for by execution. */
  executionId?: bigint;
  /** The execution's Pipeline_Type and Pipeline_id properties. */
  pipelineName: string | null;
  pipelineId: bigint | null;
  firstEventId: bigint;
  lastEventId: bigint;
}

/**
 * The events of these artifacts grouped by what they contribute to a CMF artifact node (artifact, first path key,
 * optionally the execution, the execution's pipeline), each group with its first and last event id: a dataset
 * consumed by thousands of executions is a few rows, not thousands.
 */
export async function eventContributions(
  tx: Tx,
  artifactIds: readonly bigint[],
  byExecution: boolean,
): Promise<EventContribution[]> {
  const set = idSet(tx, artifactIds);
  const rows = await tx.all(
    `SELECT ev.artifact_id, ev.step_key, ${byExecution ? 'ev.execution_id, ' : ''}pn.string_value AS pipeline_name, ` +
      `pid.int_value AS pipeline_id, MIN(ev.id) AS first_id, MAX(ev.id) AS last_id FROM (` +
      `SELECT e.id, e.artifact_id, e.execution_id, (SELECT ep.step_key FROM EventPath ep WHERE ep.event_id = e.id ` +
      `AND ep.is_index_step = FALSE LIMIT 1) AS step_key FROM Event e WHERE e.artifact_id IN (${set.sql})) ev ` +
      `LEFT JOIN ExecutionProperty pn ON pn.execution_id = ev.execution_id AND pn.name = 'Pipeline_Type' AND pn.is_custom_property = FALSE ` +
      `LEFT JOIN ExecutionProperty pid ON pid.execution_id = ev.execution_id AND pid.name = 'Pipeline_id' AND pid.is_custom_property = FALSE ` +
      `GROUP BY ev.artifact_id, ev.step_key, ${byExecution ? 'ev.execution_id, ' : ''}pn.string_value, pid.int_value`,
    [set.param],
  );
  return rows.map((g) => ({
    artifactId: g.artifact_id as bigint,
    stepKey: g.step_key === null ? null : String(g.step_key),
    ...(byExecution ? { executionId: g.execution_id as bigint } : {}),
    pipelineName: g.pipeline_name === null ? null : String(g.pipeline_name),
    pipelineId: g.pipeline_id as bigint | null,
    firstEventId: g.first_id as bigint,
    lastEventId: g.last_id as bigint,
  }));
}

/** The uris of the Label artifacts whose custom property dataset_uri names this dataset uri. */
export async function labelUrisOfDataset(tx: Tx, datasetUri: string): Promise<string[]> {
  const rows = await tx.all<{ uri: string }>(
    `SELECT DISTINCT ar.uri FROM ArtifactProperty p JOIN Artifact ar ON ar.id = p.artifact_id JOIN Type t ON t.id = ar.type_id ` +
      `WHERE p.name = 'dataset_uri' AND p.is_custom_property = TRUE AND p.string_value = ? AND t.name = 'Label'`,
    [datasetUri],
  );
  return rows.map((r) => r.uri);
}

/** An execution's event with what the projection needs of its artifact. */
export interface EventWithArtifact {
  id: bigint;
  type: number;
  artifactId: bigint;
  /** The artifact's type name. */
  label: string;
  uri: string;
  name: string;
  /** The artifact's Commit property ('' when it has none). */
  commit: string;
}

/** An execution's events, in id order, with their artifacts' type, uri, name and Commit. */
export async function eventsWithArtifacts(tx: Tx, executionId: bigint): Promise<EventWithArtifact[]> {
  const rows = await tx.all(
    `SELECT ev.id, ev.type, ev.artifact_id, ar.uri, ar.name, t.name AS type_name, cp.string_value AS commit_value ` +
      `FROM Event ev JOIN Artifact ar ON ar.id = ev.artifact_id JOIN Type t ON t.id = ar.type_id ` +
      `LEFT JOIN ArtifactProperty cp ON cp.artifact_id = ar.id AND cp.name = 'Commit' AND cp.is_custom_property = FALSE ` +
      `WHERE ev.execution_id = ? ORDER BY ev.id`,
    [executionId],
  );
  return rows.map((e) => ({
    id: e.id as bigint,
    type: Number(e.type),
    artifactId: e.artifact_id as bigint,
    label: e.type_name as string,
    uri: (e.uri as string | null) ?? '',
    name: (e.name as string | null) ?? '',
    commit: (e.commit_value as string | null) ?? '',
  }));
}

/**
 * PutExecution: one execution with its input/output artifacts, their events and the contexts it belongs to, written
 * in one transaction in MLMD's order: artifacts, execution, events, contexts, then associations and attributions.
 *
 * Deliberate deviations from MLMD (both are quirks MLMD's own design notes call unsafe):
 * - an event in a pair without artifact must name an artifact that exists (INVALID_ARGUMENT "No artifact with the
 *   given id N"); MLMD stores the event pointing at nothing, which later breaks reads of that artifact's lineage;
 * - an empty pair (no artifact, no event) answers artifact id -1 as MLMD does, but no attribution to -1 is stored.
 */
import type { Artifact, Event } from '../../generated/ml_metadata/proto/metadata_store';
import type {
  PutExecutionRequest,
  PutExecutionResponse,
} from '../../generated/ml_metadata/proto/metadata_store_service';
import { invalidArgument, type MlmdError } from '../errors';
import type { Tx } from '../storage/database';
import { textSet } from '../storage/sql';
import { type AnyNode, ARTIFACT, EXECUTION } from './node-kinds';
import { writeContexts } from './put-node-sequence';
import { NodeWriter } from './node-store';
import { insertAssociations, insertAttributions, insertEvents } from './put-events-store';

/** The id answered for a pair with neither artifact nor event. */
const NO_ARTIFACT = -1n;

export async function putExecution(tx: Tx, request: PutExecutionRequest): Promise<PutExecutionResponse> {
  const execution = request.execution;
  if (!execution) throw invalidArgument('No execution is found');
  const options = request.options ?? {};
  const pairs = request.artifactEventPairs ?? [];

  // 1. Artifacts, in pair order.
  const artifactIds = await writeArtifacts(
    tx,
    pairs.map((p) => p.artifact),
    options.reuseArtifactIfAlreadyExistByExternalId ?? false,
  );

  // 2. The execution (force_update_time rewrites it and bumps its update time even when nothing changed).
  const executionWriter = await NodeWriter.prepare(tx, EXECUTION, [execution]);
  const executionId = await executionWriter.upsert(execution, { forceUpdateTime: options.forceUpdateTime ?? false });

  // 3. Events, aligned with the nodes just written.
  const responseArtifactIds = await writeEvents(tx, pairs, artifactIds, executionId);

  // 4. Contexts, then the links of every context to the execution and to the pairs' artifacts.
  const contextIds = await writeContexts(tx, request.contexts ?? [], {
    reuseIfAlreadyExist: options.reuseContextIfAlreadyExist ?? false,
    forceReuse: options.forceReuseContext ?? false,
  });
  const linkedArtifacts = [...new Set(responseArtifactIds)].filter((id) => id > 0n);
  await insertAssociations(
    tx,
    contextIds.map((contextId) => ({ contextId, executionId })),
  );
  await insertAttributions(
    tx,
    contextIds.flatMap((contextId) => linkedArtifacts.map((artifactId) => ({ contextId, artifactId }))),
  );

  return { executionId, artifactIds: responseArtifactIds, contextIds };
}

/**
 * Upserts the pairs' artifacts in order (empty mask); returns ids index-aligned with `artifacts` (undefined where a
 * pair has none). With reuse-by-external-id, an artifact without id whose external_id is stored, or was written by
 * an earlier pair of this request, takes that id and fully replaces the stored artifact. MLMD looks each one up just
 * before writing it; we look them all up in one query and keep the external_id -> id map current as we write, which
 * answers every lookup the same way.
 */
async function writeArtifacts(
  tx: Tx,
  artifacts: ReadonlyArray<Artifact | undefined>,
  reuseByExternalId: boolean,
): Promise<Array<bigint | undefined>> {
  const present = artifacts.filter((a): a is Artifact => a !== undefined);
  if (present.length === 0) return artifacts.map(() => undefined);
  const reusable = (a: AnyNode) =>
    reuseByExternalId && a.id === undefined && a.externalId !== undefined && a.externalId !== '';

  const byExternalId = new Map<string, bigint>();
  const externalIdOf = new Map<bigint, string>();
  const wanted = [...new Set(present.filter(reusable).map((a) => a.externalId!))];
  if (wanted.length > 0) {
    const set = textSet(tx, wanted);
    const rows = await tx.all<{ id: bigint; external_id: string }>(
      `SELECT id, external_id FROM Artifact WHERE external_id IN (${set.sql})`,
      [set.param],
    );
    for (const r of rows) {
      byExternalId.set(r.external_id, r.id);
      externalIdOf.set(r.id, r.external_id);
    }
  }
  const resolve = (a: Artifact): AnyNode => {
    const found = reusable(a) ? byExternalId.get(a.externalId!) : undefined;
    return found === undefined ? a : { ...a, id: found };
  };

  const writer = await NodeWriter.prepare(tx, ARTIFACT, present.map(resolve));
  const ids: Array<bigint | undefined> = [];
  for (const artifact of artifacts) {
    if (!artifact) {
      ids.push(undefined);
      continue;
    }
    const id = await writer.upsert(resolve(artifact));
    // An empty-mask write leaves the row with exactly the request's external_id (or none).
    const previous = externalIdOf.get(id);
    if (previous !== undefined && byExternalId.get(previous) === id) byExternalId.delete(previous);
    externalIdOf.delete(id);
    if (artifact.externalId !== undefined && artifact.externalId !== '') {
      byExternalId.set(artifact.externalId, id);
      externalIdOf.set(id, artifact.externalId);
    }
    ids.push(id);
  }
  return ids;
}

/**
 * Builds each pair's event (checking it against the written nodes), inserts them in pair order, and returns the
 * response's artifact ids. A misaligned event at pair i fails only after the events of pairs before i were inserted,
 * as in MLMD, so a duplicate among those still answers ALREADY_EXISTS first.
 */
async function writeEvents(
  tx: Tx,
  pairs: NonNullable<PutExecutionRequest['artifactEventPairs']>,
  artifactIds: ReadonlyArray<bigint | undefined>,
  executionId: bigint,
): Promise<bigint[]> {
  const events: Event[] = [];
  const responseIds: bigint[] = [];
  let failure: MlmdError | undefined;
  for (let i = 0; i < pairs.length && !failure; i++) {
    const { artifact, event } = pairs[i];
    if (!event) {
      responseIds.push(artifactIds[i] ?? NO_ARTIFACT);
      continue;
    }
    if (event.executionId !== undefined && event.executionId !== executionId) {
      failure = invalidArgument(
        `Given event.execution_id ${event.executionId} is not aligned with the execution ${executionId}`,
      );
      break;
    }
    let artifactId: bigint;
    if (artifact) {
      artifactId = artifactIds[i]!;
      if (event.artifactId !== undefined && event.artifactId !== artifactId) {
        failure = invalidArgument(
          `Given event.artifact_id ${event.artifactId} is not aligned with the artifact ${artifactId}`,
        );
        break;
      }
    } else if (event.artifactId === undefined) {
      failure = invalidArgument('An event without an artifact in its pair must have an artifact_id');
      break;
    } else {
      artifactId = event.artifactId;
    }
    events.push({ ...event, executionId, artifactId });
    responseIds.push(artifactId);
  }
  // Only ids named by artifact-less pairs can be unknown: check existence just when there are such.
  const written = new Set(artifactIds.filter((id): id is bigint => id !== undefined));
  const checkNodesExist = events.some((e) => !written.has(e.artifactId!));
  await insertEvents(tx, events, { checkNodesExist });
  if (failure) throw failure;
  return responseIds;
}

/**
 * Semantics of the composite writes and lineage reads, called on the domain directly (no gRPC): PutExecution,
 * PutLineageSubgraph and GetLineageGraph (GetLineageSubgraph has its own module and tests).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type Artifact,
  type Context,
  type Event,
  Event_Type,
  type Execution,
  Execution_State,
  type LineageGraphQueryOptions,
  PropertyType,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import { Code, MlmdError } from '../../src/errors';
import type { MlmdApi } from '../../src/mlmd/api';
import { createMlmdApi } from '../../src/mlmd/store';
import type { Database } from '../../src/storage/database';
import { openTestStore, type TestStore } from '../helpers/backend';
import { TestClock } from '../helpers/clock';

const dir = mkdtempSync(join(tmpdir(), 'cmf-mlmd-lineage-'));
let db: Database;
let store: TestStore | undefined;
let api: MlmdApi;
let fileCount = 0;
/** Stored timestamps from a clock the tests move on (no sleeping until the system clock has). */
const clock = new TestClock();

/** A fresh store per describe block, so counts and ids are predictable. */
async function freshStore(): Promise<void> {
  if (db) await db.close();
  await store?.remove();
  fileCount += 1;
  store = await openTestStore(join(dir, `store-${fileCount}.db`), { clock: clock.now });
  db = store.db;
  api = createMlmdApi(db);
}

after(async () => {
  if (db) await db.close();
  await store?.remove();
  rmSync(dir, { recursive: true, force: true });
});

async function rejects(promise: Promise<unknown>, code: Code, includes?: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof MlmdError, `expected an MlmdError, got ${String(e)}`);
    assert.equal(Code[e.code], Code[code], `expected ${Code[code]}, got ${Code[e.code]}: ${e.message}`);
    if (includes)
      assert.ok(e.message.includes(includes), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(includes)}`);
    return true;
  });
}

const TABLES = [
  'Artifact',
  'Execution',
  'Context',
  'Event',
  'EventPath',
  'Attribution',
  'Association',
  'ArtifactProperty',
  'ContextProperty',
];

async function counts(): Promise<Record<string, number>> {
  return db.transaction('read', async (tx) => {
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = Number((await tx.get<{ n: bigint }>(`SELECT COUNT(*) AS n FROM ${t}`))!.n);
    return out;
  });
}

/** Runs `call`, which must fail with `code`, and checks that no row of any table was written. */
async function failsWithoutWrites(call: () => Promise<unknown>, code: Code, includes?: string): Promise<void> {
  const before = await counts();
  await rejects(call(), code, includes);
  assert.deepEqual(await counts(), before, 'a failing request must leave nothing behind');
}

const str = (v: string): Value => ({ value: { $case: 'stringValue', value: v } });
const int = (v: bigint): Value => ({ value: { $case: 'intValue', value: v } });
const indexStep = (i: bigint) => ({ value: { $case: 'index' as const, value: i } });
const keyStep = (k: string) => ({ value: { $case: 'key' as const, value: k } });

interface Types {
  artifact: bigint;
  execution: bigint;
  context: bigint;
}

async function makeTypes(): Promise<Types> {
  const artifact = (
    await api.putArtifactType({ artifactType: { name: 'Dataset', properties: { split: PropertyType.STRING } } })
  ).typeId!;
  const execution = (
    await api.putExecutionType({ executionType: { name: 'Trainer', properties: { epochs: PropertyType.INT } } })
  ).typeId!;
  const context = (
    await api.putContextType({ contextType: { name: 'Pipeline', properties: { owner: PropertyType.STRING } } })
  ).typeId!;
  return { artifact, execution, context };
}

async function artifact(id: bigint): Promise<Artifact> {
  const [a] = (await api.getArtifactsById({ artifactIds: [id] })).artifacts!;
  assert.ok(a, `artifact ${id} exists`);
  return a;
}
async function execution(id: bigint): Promise<Execution> {
  const [e] = (await api.getExecutionsById({ executionIds: [id] })).executions!;
  assert.ok(e, `execution ${id} exists`);
  return e;
}
async function context(id: bigint): Promise<Context> {
  const [c] = (await api.getContextsById({ contextIds: [id] })).contexts!;
  assert.ok(c, `context ${id} exists`);
  return c;
}
const ids = (nodes: Array<{ id?: bigint }> | undefined) =>
  (nodes ?? []).map((n) => n.id!).sort((a, b) => (a < b ? -1 : 1));
const eventShape = (e: Event) => ({ artifactId: e.artifactId, executionId: e.executionId, type: e.type });

describe('PutExecution', () => {
  let T: Types;
  before(async () => {
    await freshStore();
    T = await makeTypes();
  });

  test('writes artifacts, execution, events with paths, contexts and their links', async () => {
    const before = BigInt(Date.now());
    const r = await api.putExecution({
      execution: {
        typeId: T.execution,
        name: 'run-1',
        properties: { epochs: int(3n) },
        lastKnownState: Execution_State.RUNNING,
      },
      artifactEventPairs: [
        {
          artifact: { typeId: T.artifact, uri: '/data/in', properties: { split: str('train') } },
          event: { type: Event_Type.INPUT, path: { steps: [indexStep(1n), {}, keyStep('examples'), indexStep(-2n)] } },
        },
        {
          artifact: { typeId: T.artifact, uri: '/data/out' },
          event: { type: Event_Type.OUTPUT, millisecondsSinceEpoch: 42n },
        },
        { artifact: { typeId: T.artifact, uri: '/data/side' } },
      ],
      contexts: [
        { typeId: T.context, name: 'pipeline-a', properties: { owner: str('me') } },
        { typeId: T.context, name: 'run-context' },
      ],
    });
    assert.equal(r.artifactIds!.length, 3);
    assert.equal(r.contextIds!.length, 2);
    const [inId, outId, sideId] = r.artifactIds!;
    const exec = await execution(r.executionId!);
    assert.equal(exec.name, 'run-1');
    assert.deepEqual(exec.properties!.epochs.value, { $case: 'intValue', value: 3n });
    // Artifacts are written before the execution.
    assert.ok((await artifact(inId)).createTimeSinceEpoch! <= exec.createTimeSinceEpoch!);
    assert.equal((await artifact(sideId)).uri, '/data/side');

    const events = (await api.getEventsByExecutionIDs({ executionIds: [r.executionId!] })).events!;
    assert.deepEqual(events.map(eventShape), [
      { artifactId: inId, executionId: r.executionId, type: Event_Type.INPUT },
      { artifactId: outId, executionId: r.executionId, type: Event_Type.OUTPUT },
    ]);
    // Steps in order; the empty step is dropped; an event without path has none.
    assert.deepEqual(
      events[0].path!.steps!.map((s) => s.value),
      [
        { $case: 'index', value: 1n },
        { $case: 'key', value: 'examples' },
        { $case: 'index', value: -2n },
      ],
    );
    assert.equal(events[1].path, undefined);
    assert.ok(events[0].millisecondsSinceEpoch! >= before && events[0].millisecondsSinceEpoch! <= BigInt(Date.now()));
    assert.equal(events[1].millisecondsSinceEpoch, 42n);

    for (const c of r.contextIds!) {
      assert.deepEqual(
        ids((await api.getArtifactsByContext({ contextId: c })).artifacts),
        [inId, outId, sideId].sort(),
      );
      assert.deepEqual(ids((await api.getExecutionsByContext({ contextId: c })).executions), [r.executionId]);
    }
    assert.deepEqual((await context(r.contextIds![0])).properties!.owner.value, { $case: 'stringValue', value: 'me' });
  });

  test('an empty pair answers -1 and links nothing; an event-only pair uses its artifact_id', async () => {
    const stored = (await api.putArtifacts({ artifacts: [{ typeId: T.artifact, uri: '/stored' }] })).artifactIds![0];
    const r = await api.putExecution({
      execution: { typeId: T.execution },
      artifactEventPairs: [{}, { event: { artifactId: stored, type: Event_Type.INPUT } }, {}],
      contexts: [{ typeId: T.context, name: 'with-empty-pairs' }],
    });
    assert.deepEqual(r.artifactIds, [-1n, stored, -1n]);
    assert.deepEqual(ids((await api.getArtifactsByContext({ contextId: r.contextIds![0] })).artifacts), [stored]);
    const dangling = await db.transaction('read', (tx) =>
      tx.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM Attribution WHERE artifact_id <= 0'),
    );
    assert.equal(dangling!.n, 0n);
    assert.deepEqual((await api.getEventsByArtifactIDs({ artifactIds: [stored] })).events!.map(eventShape), [
      { artifactId: stored, executionId: r.executionId, type: Event_Type.INPUT },
    ]);
  });

  test('an execution with an id is updated; force_update_time bumps its update time even without changes', async () => {
    const first = await api.putExecution({ execution: { typeId: T.execution, name: 'updatable' } });
    const stored = await execution(first.executionId!);
    clock.advance(5);
    const same = await api.putExecution({ execution: stored });
    assert.equal(same.executionId, stored.id);
    assert.equal(
      (await execution(stored.id!)).lastUpdateTimeSinceEpoch,
      stored.lastUpdateTimeSinceEpoch,
      'unchanged re-put is a no-op',
    );
    await api.putExecution({ execution: stored, options: { forceUpdateTime: true } });
    assert.ok((await execution(stored.id!)).lastUpdateTimeSinceEpoch! > stored.lastUpdateTimeSinceEpoch!);
    // Full replace: omitted properties are deleted.
    await api.putExecution({ execution: { ...stored, properties: { epochs: int(9n) } } });
    await api.putExecution({ execution: { id: stored.id, name: 'updatable' } });
    assert.deepEqual((await execution(stored.id!)).properties, {});
  });

  test('reuse_artifact_if_already_exist_by_external_id adopts the stored artifact and collapses duplicates', async () => {
    const stored = (
      await api.putArtifacts({
        artifacts: [{ typeId: T.artifact, externalId: 'ext-1', uri: '/old', properties: { split: str('a') } }],
      })
    ).artifactIds![0];
    const r = await api.putExecution({
      execution: { typeId: T.execution },
      artifactEventPairs: [
        { artifact: { typeId: T.artifact, externalId: 'ext-1', uri: '/new' }, event: { type: Event_Type.INPUT } },
        { artifact: { typeId: T.artifact, externalId: 'ext-new', uri: '/x' }, event: { type: Event_Type.OUTPUT } },
        { artifact: { typeId: T.artifact, externalId: 'ext-new', uri: '/y' } },
        { artifact: { typeId: T.artifact, externalId: 'ext-1', uri: '/newest' } },
      ],
      options: { reuseArtifactIfAlreadyExistByExternalId: true },
    });
    const [a, b, c, d] = r.artifactIds!;
    assert.equal(a, stored);
    assert.equal(d, stored);
    assert.equal(b, c, 'two new artifacts with the same external_id in one request collapse');
    assert.notEqual(b, stored);
    const reused = await artifact(stored);
    assert.equal(reused.uri, '/newest', 'the reused artifact is fully replaced by the last pair naming it');
    assert.deepEqual(reused.properties, {});
    assert.equal((await artifact(b)).uri, '/y');

    // Without the option the same external_id is a conflict, and nothing of the request stays.
    await failsWithoutWrites(
      () =>
        api.putExecution({
          execution: { typeId: T.execution, name: 'not-written' },
          artifactEventPairs: [{ artifact: { typeId: T.artifact, externalId: 'ext-1' } }],
        }),
      Code.ALREADY_EXISTS,
    );
    // The option does not dedupe by name.
    await api.putArtifacts({ artifacts: [{ typeId: T.artifact, name: 'named' }] });
    await failsWithoutWrites(
      () =>
        api.putExecution({
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: { typeId: T.artifact, name: 'named', externalId: 'ext-named' } }],
          options: { reuseArtifactIfAlreadyExistByExternalId: true },
        }),
      Code.ALREADY_EXISTS,
    );
  });

  test('reuse_context_if_already_exist reuses a stored context without updating it', async () => {
    const storedId = (
      await api.putContexts({ contexts: [{ typeId: T.context, name: 'shared', properties: { owner: str('alice') } }] })
    ).contextIds![0];
    const before = await context(storedId);
    clock.advance(2);
    const r = await api.putExecution({
      execution: { typeId: T.execution },
      contexts: [
        { typeId: T.context, name: 'shared', properties: { owner: str('bob') } },
        { typeId: T.context, name: 'fresh' },
        { typeId: T.context, name: 'fresh' },
      ],
      options: { reuseContextIfAlreadyExist: true },
    });
    assert.equal(r.contextIds![0], storedId);
    assert.equal(r.contextIds![1], r.contextIds![2], 'a context repeated in the request is created once');
    assert.deepEqual(await context(storedId), before, 'a reused context is not modified');
    assert.deepEqual(ids((await api.getExecutionsByContext({ contextId: storedId })).executions), [r.executionId]);

    await failsWithoutWrites(
      () => api.putExecution({ execution: { typeId: T.execution }, contexts: [{ typeId: T.context, name: 'shared' }] }),
      Code.ALREADY_EXISTS,
    );
  });

  test('an insert collision while reuse_context_if_already_exist is on answers ABORTED (clients retry)', async () => {
    // Not found by (type_id, name), yet the insert collides (here on external_id, as a concurrent creator would).
    await api.putContexts({ contexts: [{ typeId: T.context, name: 'holder', externalId: 'ctx-ext' }] });
    await failsWithoutWrites(
      () =>
        api.putExecution({
          execution: { typeId: T.execution },
          contexts: [{ typeId: T.context, name: 'other-name', externalId: 'ctx-ext' }],
          options: { reuseContextIfAlreadyExist: true },
        }),
      Code.ABORTED,
      'Concurrent creation of the same context',
    );
    // Without the option the same collision is ALREADY_EXISTS.
    await failsWithoutWrites(
      () =>
        api.putExecution({
          execution: { typeId: T.execution },
          contexts: [{ typeId: T.context, name: 'other-name', externalId: 'ctx-ext' }],
        }),
      Code.ALREADY_EXISTS,
    );
  });

  test('force_reuse_context only checks that a context with an id exists', async () => {
    const storedId = (
      await api.putContexts({ contexts: [{ typeId: T.context, name: 'forced', properties: { owner: str('carol') } }] })
    ).contextIds![0];
    const before = await context(storedId);
    const r = await api.putExecution({
      execution: { typeId: T.execution },
      // Neither name nor type_id are needed, and the given fields are not written.
      contexts: [{ id: storedId, properties: { owner: str('mallory') } }],
      options: { forceReuseContext: true },
    });
    assert.deepEqual(r.contextIds, [storedId]);
    assert.deepEqual(await context(storedId), before);
    assert.deepEqual(ids((await api.getExecutionsByContext({ contextId: storedId })).executions), [r.executionId]);

    await failsWithoutWrites(
      () =>
        api.putExecution({
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: { typeId: T.artifact }, event: { type: Event_Type.OUTPUT } }],
          contexts: [{ id: 999_999n }],
          options: { forceReuseContext: true },
        }),
      Code.NOT_FOUND,
      '999999',
    );
    // Without force_reuse_context, a context with an id is a full update and needs type_id and name.
    await failsWithoutWrites(
      () => api.putExecution({ execution: { typeId: T.execution }, contexts: [{ id: storedId, name: 'forced' }] }),
      Code.INVALID_ARGUMENT,
      'type_id',
    );
    await failsWithoutWrites(
      () => api.putExecution({ execution: { typeId: T.execution }, contexts: [{ id: storedId, typeId: T.context }] }),
      Code.INVALID_ARGUMENT,
      'name',
    );
    await api.putExecution({
      execution: { typeId: T.execution },
      contexts: [{ id: storedId, typeId: T.context, name: 'renamed' }],
    });
    assert.equal((await context(storedId)).name, 'renamed');
    assert.deepEqual((await context(storedId)).properties, {});
  });

  test('invalid requests fail and roll back everything', async (t) => {
    const storedArtifact = (await api.putArtifacts({ artifacts: [{ typeId: T.artifact }] })).artifactIds![0];
    const storedExecution = (await api.putExecutions({ executions: [{ typeId: T.execution }] })).executionIds![0];
    const art = { typeId: T.artifact, uri: '/written-then-rolled-back' };
    const ctx = [{ typeId: T.context, name: 'rolled-back' }];
    const cases: Array<[string, Parameters<MlmdApi['putExecution']>[0], Code, string?]> = [
      ['no execution', { artifactEventPairs: [{ artifact: art }] }, Code.INVALID_ARGUMENT, 'No execution'],
      ['unknown execution id', { execution: { id: 987_654n, typeId: T.execution } }, Code.INVALID_ARGUMENT, '987654'],
      ['execution type missing', { execution: {}, contexts: ctx }, Code.INVALID_ARGUMENT],
      ['unknown execution type', { execution: { typeId: 424_242n }, contexts: ctx }, Code.NOT_FOUND],
      [
        'event.execution_id not aligned',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: art, event: { executionId: storedExecution, type: Event_Type.INPUT } }],
          contexts: ctx,
        },
        Code.INVALID_ARGUMENT,
        'aligned',
      ],
      [
        'event.artifact_id not aligned',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: art, event: { artifactId: storedArtifact, type: Event_Type.INPUT } }],
          contexts: ctx,
        },
        Code.INVALID_ARGUMENT,
        'not aligned with the artifact',
      ],
      [
        'event without artifact nor artifact_id',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: art }, { event: { type: Event_Type.INPUT } }],
          contexts: ctx,
        },
        Code.INVALID_ARGUMENT,
      ],
      [
        'event to an artifact that does not exist (deliberately validated)',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: art }, { event: { artifactId: 555_555n, type: Event_Type.INPUT } }],
          contexts: ctx,
        },
        Code.INVALID_ARGUMENT,
        'No artifact with the given id 555555',
      ],
      [
        'event without type',
        { execution: { typeId: T.execution }, artifactEventPairs: [{ artifact: art, event: {} }], contexts: ctx },
        Code.INVALID_ARGUMENT,
        'No event type',
      ],
      [
        'event of type UNKNOWN',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: art, event: { type: Event_Type.UNKNOWN } }],
          contexts: ctx,
        },
        Code.INVALID_ARGUMENT,
        'No event type',
      ],
      [
        'duplicate event in the request',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [
            { event: { artifactId: storedArtifact, type: Event_Type.INPUT } },
            { event: { artifactId: storedArtifact, type: Event_Type.INPUT } },
          ],
          contexts: ctx,
        },
        Code.ALREADY_EXISTS,
        'Given event already exists',
      ],
      [
        'context without name',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: art, event: { type: Event_Type.INPUT } }],
          contexts: [{ typeId: T.context }],
        },
        Code.INVALID_ARGUMENT,
        'name',
      ],
      [
        'context with an empty name',
        { execution: { typeId: T.execution }, contexts: [{ typeId: T.context, name: '' }] },
        Code.INVALID_ARGUMENT,
      ],
      [
        'unknown property on an artifact',
        {
          execution: { typeId: T.execution },
          artifactEventPairs: [{ artifact: { typeId: T.artifact, properties: { nope: str('x') } } }],
        },
        Code.INVALID_ARGUMENT,
        'nope',
      ],
    ];
    for (const [name, request, code, includes] of cases) {
      await t.test(name, () => failsWithoutWrites(() => api.putExecution(request), code, includes));
    }
  });

  test('an event that already exists answers ALREADY_EXISTS, before a later misaligned pair', async () => {
    const r = await api.putExecution({
      execution: { typeId: T.execution },
      artifactEventPairs: [{ artifact: { typeId: T.artifact }, event: { type: Event_Type.OUTPUT } }],
    });
    const exec = await execution(r.executionId!);
    await failsWithoutWrites(
      () =>
        api.putExecution({
          execution: exec,
          artifactEventPairs: [
            { event: { artifactId: r.artifactIds![0], type: Event_Type.OUTPUT } },
            { artifact: { typeId: T.artifact }, event: { artifactId: 1n << 40n, type: Event_Type.INPUT } },
          ],
        }),
      Code.ALREADY_EXISTS,
      'Given event already exists',
    );
    // Another type between the same pair of nodes is a different event.
    await api.putExecution({
      execution: exec,
      artifactEventPairs: [{ event: { artifactId: r.artifactIds![0], type: Event_Type.INPUT } }],
    });
    assert.equal((await api.getEventsByExecutionIDs({ executionIds: [exec.id!] })).events!.length, 2);
  });
});

describe('PutLineageSubgraph', () => {
  let T: Types;
  before(async () => {
    await freshStore();
    T = await makeTypes();
  });

  test('index edges: nodes, links of every context to every node, events in edge order', async () => {
    const r = await api.putLineageSubgraph({
      executions: [
        { typeId: T.execution, name: 'train' },
        { typeId: T.execution, name: 'eval' },
      ],
      artifacts: [
        { typeId: T.artifact, uri: '/data' },
        { typeId: T.artifact, uri: '/model' },
      ],
      contexts: [
        { typeId: T.context, name: 'p1' },
        { typeId: T.context, name: 'p2' },
      ],
      eventEdges: [
        { executionIndex: 0, artifactIndex: 0, event: { type: Event_Type.INPUT, path: { steps: [keyStep('data')] } } },
        { executionIndex: 0, artifactIndex: 1, event: { type: Event_Type.OUTPUT } },
        { executionIndex: 1, artifactIndex: 1, event: { type: Event_Type.INPUT } },
      ],
    });
    const [train, evaluate] = r.executionIds!;
    const [data, model] = r.artifactIds!;
    assert.equal(r.contextIds!.length, 2);
    for (const c of r.contextIds!) {
      assert.deepEqual(ids((await api.getArtifactsByContext({ contextId: c })).artifacts), [data, model]);
      assert.deepEqual(ids((await api.getExecutionsByContext({ contextId: c })).executions), [train, evaluate]);
    }
    const c = await counts();
    assert.equal(c.Attribution, 4);
    assert.equal(c.Association, 4);
    const events = (await api.getEventsByExecutionIDs({ executionIds: [train, evaluate] })).events!;
    assert.deepEqual(events.map(eventShape), [
      { artifactId: data, executionId: train, type: Event_Type.INPUT },
      { artifactId: model, executionId: train, type: Event_Type.OUTPUT },
      { artifactId: model, executionId: evaluate, type: Event_Type.INPUT },
    ]);
    assert.deepEqual(
      events[0].path!.steps!.map((s) => s.value),
      [{ $case: 'key', value: 'data' }],
    );
    // Artifacts before executions.
    assert.ok((await artifact(model)).createTimeSinceEpoch! <= (await execution(train)).createTimeSinceEpoch!);
  });

  test('id-only edges and edges with both index and a matching id', async () => {
    const a = (await api.putArtifacts({ artifacts: [{ typeId: T.artifact, uri: '/stored' }] })).artifactIds![0];
    const e = (await api.putExecutions({ executions: [{ typeId: T.execution }] })).executionIds![0];
    const stored = await execution(e);
    const r = await api.putLineageSubgraph({
      executions: [stored],
      artifacts: [{ typeId: T.artifact, uri: '/new' }],
      eventEdges: [
        { event: { artifactId: a, executionId: e, type: Event_Type.INPUT } },
        { executionIndex: 0, artifactIndex: 0, event: { executionId: e, type: Event_Type.OUTPUT } },
      ],
    });
    assert.deepEqual(r.executionIds, [e]);
    assert.deepEqual(r.contextIds, []);
    assert.deepEqual((await api.getEventsByExecutionIDs({ executionIds: [e] })).events!.map(eventShape), [
      { artifactId: a, executionId: e, type: Event_Type.INPUT },
      { artifactId: r.artifactIds![0], executionId: e, type: Event_Type.OUTPUT },
    ]);
  });

  test('reuse options', async () => {
    const ctx = (
      await api.putContexts({ contexts: [{ typeId: T.context, name: 'reused', properties: { owner: str('x') } }] })
    ).contextIds![0];
    const before = await context(ctx);
    const art = (await api.putArtifacts({ artifacts: [{ typeId: T.artifact, externalId: 'lsg-ext', uri: '/old' }] }))
      .artifactIds![0];
    const r = await api.putLineageSubgraph({
      artifacts: [{ typeId: T.artifact, externalId: 'lsg-ext', uri: '/replaced' }],
      contexts: [{ typeId: T.context, name: 'reused' }],
      options: { reuseContextIfAlreadyExist: true, reuseArtifactIfAlreadyExistByExternalId: true },
    });
    assert.deepEqual(r.contextIds, [ctx]);
    assert.deepEqual(r.artifactIds, [art]);
    assert.deepEqual(await context(ctx), before);
    assert.equal((await artifact(art)).uri, '/replaced');
    assert.deepEqual(ids((await api.getArtifactsByContext({ contextId: ctx })).artifacts), [art]);

    // Unlike PutExecution, two new artifacts sharing a new external_id are not collapsed.
    await failsWithoutWrites(
      () =>
        api.putLineageSubgraph({
          artifacts: [
            { typeId: T.artifact, externalId: 'twice' },
            { typeId: T.artifact, externalId: 'twice' },
          ],
          options: { reuseArtifactIfAlreadyExistByExternalId: true },
        }),
      Code.ALREADY_EXISTS,
    );
    await failsWithoutWrites(
      () => api.putLineageSubgraph({ contexts: [{ typeId: T.context, name: 'reused' }] }),
      Code.ALREADY_EXISTS,
    );
  });

  test('invalid edges and nodes: OUT_OF_RANGE, INVALID_ARGUMENT, NOT_FOUND; nothing written', async (t) => {
    const e = (await api.putExecutions({ executions: [{ typeId: T.execution }] })).executionIds![0];
    const nodes = {
      executions: [{ typeId: T.execution }],
      artifacts: [{ typeId: T.artifact }],
      contexts: [{ typeId: T.context, name: 'never' }],
    };
    const edge = (x: object) => ({ ...nodes, eventEdges: [x] });
    const cases: Array<[string, Parameters<MlmdApi['putLineageSubgraph']>[0], Code, string?]> = [
      ['edge without event', edge({ executionIndex: 0, artifactIndex: 0 }), Code.INVALID_ARGUMENT],
      [
        'execution index past the end',
        edge({ executionIndex: 1, artifactIndex: 0, event: { type: Event_Type.INPUT } }),
        Code.OUT_OF_RANGE,
      ],
      [
        'negative artifact index',
        edge({ executionIndex: 0, artifactIndex: -1, event: { type: Event_Type.INPUT } }),
        Code.OUT_OF_RANGE,
      ],
      [
        'artifact index past the end',
        edge({ executionIndex: 0, artifactIndex: 5, event: { type: Event_Type.INPUT } }),
        Code.OUT_OF_RANGE,
      ],
      ['no execution reference', edge({ artifactIndex: 0, event: { type: Event_Type.INPUT } }), Code.INVALID_ARGUMENT],
      ['no artifact reference', edge({ executionIndex: 0, event: { type: Event_Type.INPUT } }), Code.INVALID_ARGUMENT],
      [
        'index and id, node without id',
        edge({ executionIndex: 0, artifactIndex: 0, event: { executionId: e, type: Event_Type.INPUT } }),
        Code.INVALID_ARGUMENT,
        'Missing execution ID',
      ],
      [
        'index and a different id',
        {
          ...nodes,
          executions: [{ id: e, typeId: T.execution }],
          eventEdges: [{ executionIndex: 0, artifactIndex: 0, event: { executionId: e + 1n, type: Event_Type.INPUT } }],
        },
        Code.INVALID_ARGUMENT,
        'Execution ID mismatch',
      ],
      [
        'artifact without type_id',
        { ...nodes, artifacts: [{ uri: '/x' }] },
        Code.INVALID_ARGUMENT,
        'Type id is missing',
      ],
      [
        'stored execution without type_id',
        { ...nodes, executions: [{ id: e }] },
        Code.INVALID_ARGUMENT,
        'Type id is missing',
      ],
      ['context without type_id', { ...nodes, contexts: [{ name: 'c' }] }, Code.INVALID_ARGUMENT, 'Type id is missing'],
      ['unknown artifact type', { ...nodes, artifacts: [{ typeId: 77_777n }] }, Code.NOT_FOUND],
      ['a type of another kind', { ...nodes, executions: [{ typeId: T.artifact }] }, Code.NOT_FOUND],
      ['context without name', { ...nodes, contexts: [{ typeId: T.context }] }, Code.INVALID_ARGUMENT, 'name'],
      [
        'id-only edge to a missing artifact (deliberately validated)',
        edge({ executionIndex: 0, event: { artifactId: 31_337n, type: Event_Type.INPUT } }),
        Code.INVALID_ARGUMENT,
        '31337',
      ],
      [
        'duplicate events',
        {
          ...nodes,
          eventEdges: [0, 1].map(() => ({ executionIndex: 0, artifactIndex: 0, event: { type: Event_Type.INPUT } })),
        },
        Code.ALREADY_EXISTS,
      ],
      [
        'event without type',
        edge({ executionIndex: 0, artifactIndex: 0, event: {} }),
        Code.INVALID_ARGUMENT,
        'No event type',
      ],
    ];
    for (const [name, request, code, includes] of cases) {
      await t.test(name, () => failsWithoutWrites(() => api.putLineageSubgraph(request), code, includes));
    }
  });

  test('edges are validated before node types', async () => {
    await failsWithoutWrites(
      () =>
        api.putLineageSubgraph({
          artifacts: [{ uri: '/no-type' }],
          eventEdges: [{ executionIndex: 3, artifactIndex: 0, event: { type: Event_Type.INPUT } }],
        }),
      Code.OUT_OF_RANGE,
    );
  });
});

describe('GetLineageGraph', () => {
  let T: Types;
  // a1 -> e1 -> a2 -> e2 -> a3, plus a4 unrelated
  let a: bigint[];
  let e: bigint[];
  before(async () => {
    await freshStore();
    T = await makeTypes();
    const first = await api.putExecution({
      execution: { typeId: T.execution, name: 'e1' },
      artifactEventPairs: [
        { artifact: { typeId: T.artifact, uri: '/a1' }, event: { type: Event_Type.INPUT } },
        { artifact: { typeId: T.artifact, uri: '/a2' }, event: { type: Event_Type.OUTPUT } },
      ],
    });
    const second = await api.putExecution({
      execution: { typeId: T.execution, name: 'e2' },
      artifactEventPairs: [
        { event: { artifactId: first.artifactIds![1], type: Event_Type.INPUT } },
        { artifact: { typeId: T.artifact, uri: '/a3' }, event: { type: Event_Type.OUTPUT } },
      ],
    });
    const a4 = (await api.putArtifacts({ artifacts: [{ typeId: T.artifact, uri: '/a4' }] })).artifactIds![0];
    a = [...first.artifactIds!, second.artifactIds![1], a4];
    e = [first.executionId!, second.executionId!];
  });

  const fromA1 = { $case: 'artifactsOptions' as const, value: { maxResultSize: 1 } };

  test('walks the whole chain by default, with full nodes, events and user types', async () => {
    const { subgraph } = await api.getLineageGraph({ options: { queryNodes: fromA1 } });
    assert.deepEqual(ids(subgraph!.artifacts), [a[0], a[1], a[2]]);
    assert.deepEqual(ids(subgraph!.executions), [e[0], e[1]]);
    assert.equal(subgraph!.artifacts!.find((x) => x.id === a[2])!.uri, '/a3');
    assert.equal(subgraph!.executions![0].name, 'e1');
    assert.equal(subgraph!.events!.length, 4);
    assert.deepEqual(
      subgraph!.artifactTypes!.map((t) => t.name),
      ['Dataset'],
    );
    assert.deepEqual(
      subgraph!.executionTypes!.map((t) => t.name),
      ['Trainer'],
    );
    assert.deepEqual(
      subgraph!.contextTypes!.map((t) => t.name),
      ['Pipeline'],
    );
    assert.equal(subgraph!.contexts, undefined);
  });

  test('max_num_hops limits the walk', async () => {
    const walk = async (hops: bigint) =>
      (await api.getLineageGraph({ options: { queryNodes: fromA1, stopConditions: { maxNumHops: hops } } })).subgraph!;
    let g = await walk(0n);
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[a[0]], [], 0]);
    g = await walk(1n);
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[a[0]], [e[0]], 1]);
    g = await walk(2n);
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[a[0], a[1]], [e[0]], 2]);
    g = await walk(3n);
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[a[0], a[1]], [e[0], e[1]], 3]);
    g = await walk(1000n);
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[a[0], a[1], a[2]], [e[0], e[1]], 4]);
  });

  test('max_node_size caps artifacts + executions; zero or less means no limit', async () => {
    const walk = async (size: bigint, queryNodes: LineageGraphQueryOptions['queryNodes'] = fromA1) =>
      (await api.getLineageGraph({ options: { queryNodes, maxNodeSize: size } })).subgraph!;
    let g = await walk(3n);
    assert.deepEqual([ids(g.artifacts), ids(g.executions)], [[a[0], a[1]], [e[0]]]);
    assert.equal(g.events!.length, 2);
    g = await walk(1n);
    assert.deepEqual([ids(g.artifacts), ids(g.executions)], [[a[0]], []]);
    // Query nodes are truncated first.
    g = await walk(2n, { $case: 'artifactsOptions', value: {} });
    assert.deepEqual([ids(g.artifacts), ids(g.executions)], [[a[0], a[1]], []]);
    g = await walk(0n, { $case: 'artifactsOptions', value: {} });
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[...a].sort(), [e[0], e[1]], 4]);
  });

  test('boundaries prune non-matching nodes and everything beyond them', async () => {
    const walk = async (stopConditions: LineageGraphQueryOptions['stopConditions']) =>
      (await api.getLineageGraph({ options: { queryNodes: fromA1, stopConditions } })).subgraph!;
    let g = await walk({ boundaryExecutions: "name != 'e2'" });
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[a[0], a[1]], [e[0]], 2]);
    g = await walk({ boundaryArtifacts: "uri != '/a2'" });
    assert.deepEqual([ids(g.artifacts), ids(g.executions), g.events!.length], [[a[0]], [e[0]], 1]);
    // Query nodes are not subject to the artifact boundary.
    g = await walk({ boundaryArtifacts: "uri = '/a3'" });
    assert.deepEqual([ids(g.artifacts), ids(g.executions)], [[a[0]], [e[0]]]);
  });

  test('starting from the middle walks both ways', async () => {
    // Second page of one artifact per page: a2.
    const first = await api.getArtifacts({ options: { maxResultSize: 1 } });
    const { subgraph } = await api.getLineageGraph({
      options: {
        queryNodes: { $case: 'artifactsOptions', value: { maxResultSize: 1, nextPageToken: first.nextPageToken } },
        stopConditions: { maxNumHops: 1n },
      },
    });
    assert.deepEqual([ids(subgraph!.artifacts), ids(subgraph!.executions)], [[a[1]], [e[0], e[1]]]);
  });

  test('errors', async () => {
    await rejects(api.getLineageGraph({}), Code.INVALID_ARGUMENT, 'Missing query_nodes conditions');
    await rejects(
      api.getLineageGraph({ options: { maxNodeSize: 5n } }),
      Code.INVALID_ARGUMENT,
      'Missing query_nodes conditions',
    );
    await rejects(
      api.getLineageGraph({ options: { queryNodes: fromA1, stopConditions: { maxNumHops: -1n } } }),
      Code.INVALID_ARGUMENT,
      'max_num_hops',
    );
    await rejects(
      api.getLineageGraph({ options: { queryNodes: fromA1, stopConditions: { boundaryExecutions: 'name =' } } }),
      Code.INVALID_ARGUMENT,
    );
  });
});

describe('an empty store', () => {
  before(freshStore);
  test('GetLineageGraph answers NOT_FOUND when no artifact matches', async () => {
    await rejects(
      api.getLineageGraph({ options: { queryNodes: { $case: 'artifactsOptions', value: {} } } }),
      Code.NOT_FOUND,
    );
  });
});

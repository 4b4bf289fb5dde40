/**
 * cmf_mlmd.v1.LifecycleService over real gRPC on the test backend (SQLite, or PostgreSQL / MySQL with
 * MLMD_TEST_BACKEND): random stores holding every MLMD node, event and link kind plus CMF pipelines logged with the
 * SDK, random deletions in both modes. After each: the dry run said exactly what happened; no Event, EventPath,
 * Attribution, Association, ParentContext or property row points at a missing node; every kept node's rows are
 * unchanged; no kept execution lost an input or a context, no kept context a parent. On SQLite the `ml-metadata`
 * Python package then lists every kept record exactly as before. Concurrent PutEvents against deletions never leave
 * a dangling event.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';

import {
  DeleteMode,
  type DeleteRequest,
  type DeleteResponse,
  type ListDeletionsRequest,
  type ListDeletionsResponse,
  LifecycleServiceClient,
} from '../../generated/cmf_mlmd/v1/lifecycle';
import { Event_Type, PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import { Cmf, MlmdClient } from '../../src/client';
import { CmfClient } from '../../src/client/cmf-client';
import { createCmfApi } from '../../src/cmf/api';
import { createLifecycleApi } from '../../src/lifecycle/api';
import { ensureDeletionTable } from '../../src/lifecycle/audit';
import { createMlmdApi } from '../../src/mlmd/store';
import { cmfServiceRegistration } from '../../src/server/cmf-service';
import { lifecycleServiceRegistration } from '../../src/server/lifecycle-service';
import { startServer, type ServerHandle } from '../../src/server/server';
import type { Database, Row } from '../../src/storage/database';
import { openTestStore, TEST_BACKEND, type TestStore } from '../helpers/backend';
import { mulberry32 } from '../helpers/random';

interface Lifecycle {
  delete(r: DeleteRequest): Promise<DeleteResponse>;
  listDeletions(r: ListDeletionsRequest): Promise<ListDeletionsResponse>;
}

interface Harness {
  dir: string;
  store: TestStore;
  db: Database;
  server: ServerHandle;
  mlmd: MlmdClient;
  cmf: CmfClient;
  lifecycle: Lifecycle;
  raw: LifecycleServiceClient;
  stop(): Promise<void>;
}

async function startHarness(): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-it-'));
  const store = await openTestStore(path.join(dir, 'mlmd.sqlite'));
  const { db } = store;
  await ensureDeletionTable(db);
  const server = await startServer({
    api: createMlmdApi(db),
    extraServices: [cmfServiceRegistration(createCmfApi(db)), lifecycleServiceRegistration(createLifecycleApi(db))],
    port: 0,
    host: '127.0.0.1',
    shutdownGraceMs: 2_000,
    onShutdown: async () => {
      await db.close();
      await store.remove();
    },
  });
  const address = `127.0.0.1:${server.port}`;
  const raw = new LifecycleServiceClient(address, grpc.credentials.createInsecure());
  const lifecycle: Lifecycle = {
    delete: promisify(raw.delete.bind(raw)) as Lifecycle['delete'],
    listDeletions: promisify(raw.listDeletions.bind(raw)) as Lifecycle['listDeletions'],
  };
  const mlmd = new MlmdClient(address, { deadlineMs: 60_000 });
  const cmf = new CmfClient(address, { deadlineMs: 60_000 });
  return {
    dir,
    store,
    db,
    server,
    mlmd,
    cmf,
    lifecycle,
    raw,
    stop: async () => {
      raw.close();
      mlmd.close();
      cmf.close();
      await server.shutdown();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const str = (s: string) => ({ value: { $case: 'stringValue' as const, value: s } });
const int = (n: number) => ({ value: { $case: 'intValue' as const, value: BigInt(n) } });

/** Every node, event and link kind, at random: returns nothing, the store is read back through SQL. */
async function randomStore(h: Harness, random: () => number, tag: string): Promise<void> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const { typeId: artifactType } = await h.mlmd.putArtifactType({
    canAddFields: true,
    artifactType: { name: `Data_${tag}`, properties: { size: PropertyType.INT } },
  });
  const { typeId: executionType } = await h.mlmd.putExecutionType({
    canAddFields: true,
    executionType: { name: `Step_${tag}`, properties: { note: PropertyType.STRING } },
  });
  const { typeId: contextType } = await h.mlmd.putContextType({
    canAddFields: true,
    contextType: { name: `Run_${tag}`, properties: { owner: PropertyType.STRING } },
  });
  const { artifactIds } = await h.mlmd.putArtifacts({
    artifacts: Array.from({ length: 24 }, (_, i) => ({
      typeId: artifactType,
      uri: `s3://b/${tag}/${i}`,
      name: `a${i}`,
      properties: { size: int(i) },
      customProperties: { tag: str(tag) },
    })),
  });
  const { executionIds } = await h.mlmd.putExecutions({
    executions: Array.from({ length: 14 }, (_, i) => ({
      typeId: executionType,
      name: `e${i}`,
      lastKnownState: pick([1, 2, 3, 4, 5, 6]),
      properties: { note: str(`n${i}`) },
    })),
  });
  const { contextIds } = await h.mlmd.putContexts({
    contexts: Array.from({ length: 6 }, (_, i) => ({
      typeId: contextType,
      name: `c${tag}${i}`,
      properties: { owner: str('me') },
      customProperties: { i: int(i) },
    })),
  });
  // Lineage flows forward: execution i reads artifacts the earlier executions wrote, writes new ones.
  const events = [];
  const seen = new Set<string>();
  for (let i = 0; i < executionIds.length; i++) {
    const ex = executionIds[i];
    for (let k = 0; k < 3; k++) {
      const output = random() < 0.5;
      const lo = output ? Math.floor((i * artifactIds.length) / executionIds.length) : 0;
      const hi = output
        ? Math.min(artifactIds.length, Math.floor(((i + 1) * artifactIds.length) / executionIds.length) + 1)
        : Math.floor((i * artifactIds.length) / executionIds.length);
      if (hi <= lo) continue;
      const art = artifactIds[lo + Math.floor(random() * (hi - lo))];
      const type = output
        ? pick([Event_Type.OUTPUT, Event_Type.DECLARED_OUTPUT, Event_Type.INTERNAL_OUTPUT, Event_Type.PENDING_OUTPUT])
        : pick([Event_Type.INPUT, Event_Type.DECLARED_INPUT, Event_Type.INTERNAL_INPUT]);
      const key = `${art}/${ex}/${type}`;
      if (seen.has(key)) continue;
      seen.add(key);
      events.push({
        artifactId: art,
        executionId: ex,
        type,
        path: {
          steps: [
            { value: { $case: 'key' as const, value: `k${k}` } },
            { value: { $case: 'index' as const, value: BigInt(k) } },
          ],
        },
      });
    }
  }
  await h.mlmd.putEvents({ events });
  const attributions = [];
  const associations = [];
  for (const c of contextIds) {
    for (const a of artifactIds) if (random() < 0.15) attributions.push({ contextId: c, artifactId: a });
    for (const e of executionIds) if (random() < 0.2) associations.push({ contextId: c, executionId: e });
  }
  await h.mlmd.putAttributionsAndAssociations({ attributions, associations });
  const relations = [];
  for (let i = 1; i < contextIds.length; i++)
    if (random() < 0.6) relations.push({ parentId: contextIds[Math.floor(random() * i)], childId: contextIds[i] });
  await h.mlmd.putParentContexts({ parentContexts: relations });
}

/** A CMF pipeline logged with the SDK: two stages, datasets and a model flowing between them. */
async function cmfPipeline(h: Harness, name: string): Promise<void> {
  const root = path.join(h.dir, name);
  fs.mkdirSync(path.join(root, 'data'), { recursive: true });
  fs.writeFileSync(path.join(root, 'data', 'raw.csv'), `raw of ${name}\n`);
  fs.writeFileSync(path.join(root, 'data', 'clean.csv'), `clean of ${name}\n`);
  fs.writeFileSync(path.join(root, 'model.pkl'), `model of ${name}`);
  const cmf = await Cmf.create({
    client: h.cmf,
    pipelineName: name,
    root,
    gitRepo: 'git@example.com:repo.git',
    gitCommit: () => 'c0ffee',
    dvcRemote: '/remote',
    environment: ['numpy==1.0'],
    command: "['x.py']",
  });
  await cmf.createContext('prepare');
  await cmf.createExecution('Prepare');
  await cmf.logDataset(path.join(root, 'data', 'raw.csv'), 'input');
  await cmf.logDataset(path.join(root, 'data', 'clean.csv'), 'output');
  await cmf.createContext('train');
  await cmf.createExecution('Train');
  await cmf.logDataset(path.join(root, 'data', 'clean.csv'), 'input');
  await cmf.logModel(path.join(root, 'model.pkl'), 'output');
}

const NODE_TABLES = ['Artifact', 'Execution', 'Context'] as const;
type Snapshot = Record<string, Row[]>;

/** Every row of every MLMD table, in a stable order (bigints and bytes compared as text). */
async function snapshot(db: Database): Promise<Snapshot> {
  const order: Record<string, string> = {
    Artifact: 'id',
    Execution: 'id',
    Context: 'id',
    ArtifactProperty: 'artifact_id, name, is_custom_property',
    ExecutionProperty: 'execution_id, name, is_custom_property',
    ContextProperty: 'context_id, name, is_custom_property',
    Event: 'id',
    EventPath: `event_id, ${db.adapter.eventPathOrder}`,
    Attribution: 'id',
    Association: 'id',
    ParentContext: 'context_id, parent_context_id',
  };
  const out: Snapshot = {};
  await db.transaction('read', async (tx) => {
    for (const [table, by] of Object.entries(order)) {
      const cols = table === 'EventPath' ? 'event_id, is_index_step, step_index, step_key' : '*';
      out[table] = (await tx.all(`SELECT ${cols} FROM ${table} ORDER BY ${by}`)).map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v]),
        ),
      );
    }
  });
  return out;
}

/** Rows pointing at a missing node, per table: must all be zero. */
async function danglingRows(db: Database): Promise<Record<string, number>> {
  const checks: Record<string, string> = {
    Event:
      'SELECT COUNT(*) AS n FROM Event x WHERE NOT EXISTS (SELECT 1 FROM Artifact a WHERE a.id = x.artifact_id) ' +
      'OR NOT EXISTS (SELECT 1 FROM Execution e WHERE e.id = x.execution_id)',
    EventPath: 'SELECT COUNT(*) AS n FROM EventPath x WHERE NOT EXISTS (SELECT 1 FROM Event e WHERE e.id = x.event_id)',
    Attribution:
      'SELECT COUNT(*) AS n FROM Attribution x WHERE NOT EXISTS (SELECT 1 FROM Artifact a WHERE a.id = x.artifact_id) ' +
      'OR NOT EXISTS (SELECT 1 FROM Context c WHERE c.id = x.context_id)',
    Association:
      'SELECT COUNT(*) AS n FROM Association x WHERE NOT EXISTS (SELECT 1 FROM Execution e WHERE e.id = x.execution_id) ' +
      'OR NOT EXISTS (SELECT 1 FROM Context c WHERE c.id = x.context_id)',
    ParentContext:
      'SELECT COUNT(*) AS n FROM ParentContext x WHERE NOT EXISTS (SELECT 1 FROM Context c WHERE c.id = x.context_id) ' +
      'OR NOT EXISTS (SELECT 1 FROM Context c WHERE c.id = x.parent_context_id)',
    ArtifactProperty:
      'SELECT COUNT(*) AS n FROM ArtifactProperty x WHERE NOT EXISTS (SELECT 1 FROM Artifact a WHERE a.id = x.artifact_id)',
    ExecutionProperty:
      'SELECT COUNT(*) AS n FROM ExecutionProperty x WHERE NOT EXISTS (SELECT 1 FROM Execution e WHERE e.id = x.execution_id)',
    ContextProperty:
      'SELECT COUNT(*) AS n FROM ContextProperty x WHERE NOT EXISTS (SELECT 1 FROM Context c WHERE c.id = x.context_id)',
  };
  const out: Record<string, number> = {};
  await db.transaction('read', async (tx) => {
    for (const [table, sql] of Object.entries(checks)) out[table] = Number((await tx.get<{ n: bigint }>(sql))!.n);
  });
  return out;
}

function assertNoDangling(got: Record<string, number>): void {
  assert.deepEqual(
    Object.entries(got).filter(([, n]) => n !== 0),
    [],
    'rows point at missing nodes',
  );
}

const ids = (rows: Row[], column = 'id') => rows.map((r) => r[column] as bigint);
const INPUTS = new Set<number>([Event_Type.INPUT, Event_Type.DECLARED_INPUT, Event_Type.INTERNAL_INPUT]);

/** What the invariants say `after` must be, given `before` and the deleted ids; asserted table by table. */
function checkKept(before: Snapshot, after: Snapshot, deleted: Record<'a' | 'e' | 'c', Set<bigint>>): void {
  const keptA = (id: unknown) => !deleted.a.has(id as bigint);
  const keptE = (id: unknown) => !deleted.e.has(id as bigint);
  const keptC = (id: unknown) => !deleted.c.has(id as bigint);
  const expect: Snapshot = {
    Artifact: before.Artifact.filter((r) => keptA(r.id)),
    Execution: before.Execution.filter((r) => keptE(r.id)),
    Context: before.Context.filter((r) => keptC(r.id)),
    ArtifactProperty: before.ArtifactProperty.filter((r) => keptA(r.artifact_id)),
    ExecutionProperty: before.ExecutionProperty.filter((r) => keptE(r.execution_id)),
    ContextProperty: before.ContextProperty.filter((r) => keptC(r.context_id)),
    Event: before.Event.filter((r) => keptA(r.artifact_id) && keptE(r.execution_id)),
    Attribution: before.Attribution.filter((r) => keptA(r.artifact_id) && keptC(r.context_id)),
    Association: before.Association.filter((r) => keptE(r.execution_id) && keptC(r.context_id)),
    ParentContext: before.ParentContext.filter((r) => keptC(r.context_id) && keptC(r.parent_context_id)),
  };
  const keptEvents = new Set(ids(expect.Event));
  expect.EventPath = before.EventPath.filter((r) => keptEvents.has(r.event_id as bigint));
  for (const table of Object.keys(expect)) assert.deepEqual(after[table], expect[table], `${table} after the deletion`);
  // The lineage rules: what a kept node needed is still there.
  for (const ev of before.Event)
    if (keptE(ev.execution_id) && INPUTS.has(Number(ev.type)))
      assert.ok(keptA(ev.artifact_id), `kept execution ${ev.execution_id} lost its input ${ev.artifact_id}`);
  for (const as of before.Association)
    if (keptE(as.execution_id))
      assert.ok(keptC(as.context_id), `kept execution ${as.execution_id} lost context ${as.context_id}`);
  for (const pc of before.ParentContext)
    if (keptC(pc.context_id))
      assert.ok(keptC(pc.parent_context_id), `kept context ${pc.context_id} lost parent ${pc.parent_context_id}`);
}

const asSet = (n: { ids?: bigint[] } | undefined) => new Set(n?.ids ?? []);

describe(`LifecycleService (${TEST_BACKEND})`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.stop());

  it('refuses an empty selection, unknown ids and unknown pipelines, naming the field', async () => {
    await assert.rejects(h.lifecycle.delete({}), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
      assert.match(e.details, /selection is empty/);
      return true;
    });
    await assert.rejects(h.lifecycle.delete({ selection: { artifactIds: [987654n] } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.NOT_FOUND);
      assert.match(e.details, /selection\.artifact_ids: no artifact with id 987654/);
      return true;
    });
    await assert.rejects(h.lifecycle.delete({ selection: { pipelineNames: ['nope'] } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.NOT_FOUND);
      assert.match(e.details, /selection\.pipeline_names: no pipeline named nope/);
      return true;
    });
    await assert.rejects(
      h.lifecycle.delete({ selection: { executionsFilter: 'no_such_field = 1' } }),
      (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT,
    );
  });

  it('random stores, random deletions: dry run exact, nothing dangling, kept rows unchanged', async () => {
    const random = mulberry32(Number(process.env.LIFECYCLE_SEED ?? 20));
    await randomStore(h, random, 'r1');
    await cmfPipeline(h, 'pipe-a');
    await cmfPipeline(h, 'pipe-b');
    let refused = 0;
    let cascaded = 0;
    for (let round = 0; round < 14; round++) {
      if (round === 7) await randomStore(h, random, `r${round}`);
      const before = await snapshot(h.db);
      const some = (rows: Row[], p: number) => ids(rows).filter(() => random() < p);
      const selection = {
        artifactIds: some(before.Artifact, 0.04),
        executionIds: some(before.Execution, 0.06),
        contextIds: some(before.Context, 0.05),
        executionsFilter: round % 4 === 1 ? 'last_known_state = FAILED' : '',
        pipelineNames: round === 3 ? ['pipe-a'] : [],
      };
      if (selection.artifactIds.length + selection.executionIds.length + selection.contextIds.length === 0)
        selection.executionIds = ids(before.Execution).slice(-1);
      const mode = random() < 0.5 ? DeleteMode.DELETE_MODE_CASCADE : DeleteMode.DELETE_MODE_RESTRICT;
      let dry: DeleteResponse;
      try {
        dry = await h.lifecycle.delete({ selection, mode, dryRun: true });
      } catch (e) {
        const err = e as grpc.ServiceError;
        assert.equal(err.code, grpc.status.FAILED_PRECONDITION, err.details);
        assert.equal(mode, DeleteMode.DELETE_MODE_RESTRICT);
        assert.match(err.details, /blocker/);
        // The real call refuses the same way and changes nothing.
        await assert.rejects(
          h.lifecycle.delete({ selection, mode }),
          (e2: grpc.ServiceError) => e2.code === grpc.status.FAILED_PRECONDITION && e2.details === err.details,
        );
        assert.deepEqual(await snapshot(h.db), before);
        refused++;
        continue;
      }
      assert.equal(dry.deletionId, 0n);
      assert.deepEqual(await snapshot(h.db), before, 'a dry run changes nothing');
      const real = await h.lifecycle.delete({ selection, mode });
      assert.ok(real.deletionId! > 0n);
      assert.deepEqual({ ...real, dryRun: true, deletionId: 0n }, dry, 'the dry run said exactly what happened');
      if (mode === DeleteMode.DELETE_MODE_RESTRICT) {
        assert.equal(real.cascaded?.artifacts?.count ?? 0n, 0n);
        assert.equal(real.cascaded?.executions?.count ?? 0n, 0n);
        assert.equal(real.cascaded?.contexts?.count ?? 0n, 0n);
      } else if ((real.cascaded?.executions?.count ?? 0n) + (real.cascaded?.contexts?.count ?? 0n) > 0n) cascaded++;
      const deleted = {
        a: asSet(real.deleted?.artifacts),
        e: asSet(real.deleted?.executions),
        c: asSet(real.deleted?.contexts),
      };
      // Every selected node went.
      for (const id of selection.artifactIds) assert.ok(deleted.a.has(id));
      for (const id of selection.executionIds) assert.ok(deleted.e.has(id));
      for (const id of selection.contextIds) assert.ok(deleted.c.has(id));
      const after = await snapshot(h.db);
      assertNoDangling(await danglingRows(h.db));
      checkKept(before, after, deleted);
      // The row counts match the rows that went.
      assert.equal(real.rows?.events, BigInt(before.Event.length - after.Event.length));
      assert.equal(real.rows?.eventPaths, BigInt(before.EventPath.length - after.EventPath.length));
      assert.equal(real.rows?.attributions, BigInt(before.Attribution.length - after.Attribution.length));
      assert.equal(real.rows?.associations, BigInt(before.Association.length - after.Association.length));
      assert.equal(real.rows?.parentContexts, BigInt(before.ParentContext.length - after.ParentContext.length));
    }
    // The seeds exercise both outcomes (a change of generator that loses one is caught here).
    assert.ok(refused > 0, 'some RESTRICT deletions were refused');
    assert.ok(cascaded > 0, 'some CASCADE deletions took more than the selection');
  });

  it('a pipeline deletion takes its contexts, executions and the outputs nothing kept uses', async () => {
    await cmfPipeline(h, 'pipe-c');
    const before = await snapshot(h.db);
    const r = await h.lifecycle.delete({ selection: { pipelineNames: ['pipe-c'] } });
    // The pipeline context and its two stages; their two executions; every artifact they output or the contexts hold
    // (CMF attributes inputs to the stage contexts too) that no other node references.
    const contexts = before.Context.filter((c) => c.name === 'pipe-c' || String(c.name).startsWith('pipe-c/'));
    assert.equal(contexts.length, 3);
    const c = new Set(ids(contexts));
    const e = new Set(
      ids(
        before.Association.filter((x) => c.has(x.context_id as bigint)),
        'execution_id',
      ),
    );
    const mine = (x: Row) => ('execution_id' in x ? e.has(x.execution_id as bigint) : c.has(x.context_id as bigint));
    const refs = [...before.Event, ...before.Attribution];
    const held = (x: Row) => mine(x) && !('type' in x && INPUTS.has(Number(x.type)));
    const referenced = new Set(ids(refs.filter(held), 'artifact_id'));
    const elsewhere = new Set(
      ids(
        refs.filter((x) => !mine(x)),
        'artifact_id',
      ),
    );
    const footprint = [...referenced].filter((a) => !elsewhere.has(a)).sort((x, y) => (x < y ? -1 : 1));
    assert.deepEqual(r.deleted?.contexts?.ids, [...c]);
    assert.deepEqual(r.deleted?.executions?.ids, [...e]);
    assert.deepEqual(r.deleted?.artifacts?.ids, footprint);
    const names = new Map(before.Artifact.map((a) => [a.id as bigint, String(a.name)]));
    const gone = footprint.map((id) => names.get(id)!);
    for (const file of ['data/raw.csv', 'data/clean.csv', 'model.pkl'])
      assert.ok(
        gone.some((n) => n.includes(`pipe-c/${file}`)),
        file,
      );
    assertNoDangling(await danglingRows(h.db));
  });

  it('ListDeletions pages the audit trail, newest first', async () => {
    const first = (await h.lifecycle.listDeletions({ pageSize: 2 })) as Required<ListDeletionsResponse>;
    assert.equal(first.deletions.length, 2);
    assert.ok(first.deletions[0].id! > first.deletions[1].id!);
    assert.equal(first.deletions[0].principal, 'anonymous');
    assert.deepEqual(first.deletions[0].selection?.pipelineNames, ['pipe-c']);
    assert.equal(first.deletions[0].executions, 2n);
    assert.ok(first.nextPageToken);
    const all = [...first.deletions];
    let token: string | undefined = first.nextPageToken;
    while (token) {
      const page = await h.lifecycle.listDeletions({ pageSize: 2, pageToken: token });
      all.push(...page.deletions!);
      token = page.nextPageToken;
    }
    assert.deepEqual(
      all.map((d) => d.id),
      [...all.map((d) => d.id)].sort((a, b) => (a! > b! ? -1 : 1)),
    );
    await assert.rejects(
      h.lifecycle.listDeletions({ pageToken: 'x' }),
      (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && /page_token/.test(e.details),
    );
  });

  it('concurrent PutEvents naming a node being deleted: the event is refused or the deletion sees it', async () => {
    const { typeId: at } = await h.mlmd.putArtifactType({ artifactType: { name: 'RaceData' } });
    const { typeId: et } = await h.mlmd.putExecutionType({ executionType: { name: 'RaceStep' } });
    let refusedWrites = 0;
    let keptByWrite = 0;
    for (let i = 0; i < 12; i++) {
      const { artifactIds } = await h.mlmd.putArtifacts({ artifacts: [{ typeId: at, uri: `race/${i}` }] });
      const { executionIds } = await h.mlmd.putExecutions({ executions: [{ typeId: et }, { typeId: et }] });
      const [producer, reader] = executionIds;
      await h.mlmd.putEvents({
        events: [{ artifactId: artifactIds[0], executionId: producer, type: Event_Type.OUTPUT }],
      });
      const [deletion, write] = await Promise.allSettled([
        h.lifecycle.delete({ selection: { executionIds: [producer] } }),
        h.mlmd.putEvents({ events: [{ artifactId: artifactIds[0], executionId: reader, type: Event_Type.INPUT }] }),
      ]);
      assert.equal(deletion.status, 'fulfilled', String((deletion as PromiseRejectedResult).reason));
      const deletedArtifact = (deletion as PromiseFulfilledResult<DeleteResponse>).value.deleted?.artifacts?.count;
      assertNoDangling(await danglingRows(h.db));
      if (write.status === 'rejected') {
        // The deletion came first and took the output: the writer finds the artifact gone.
        assert.equal((write.reason as { code: number }).code, grpc.status.INVALID_ARGUMENT);
        assert.equal(deletedArtifact, 1n);
        refusedWrites++;
      } else {
        // The write came first: the artifact has a kept reader, so the deletion kept it.
        const events = await h.db.transaction('read', (tx) =>
          tx.all('SELECT artifact_id, execution_id, type FROM Event WHERE artifact_id = ?', [artifactIds[0]]),
        );
        assert.equal(
          deletedArtifact,
          0n,
          `round ${i}: the write succeeded, yet the artifact went; its events now: ${JSON.stringify(events, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
        keptByWrite++;
      }
      assertNoDangling(await danglingRows(h.db));
    }
    assert.equal(refusedWrites + keptByWrite, 12);
  });

  // The Python check reads the SQLite file; the other backends' runs check the same rows through SQL above.
  if (TEST_BACKEND === 'sqlite') {
    it('the ml-metadata Python package lists every kept record exactly as before a deletion', async () => {
      const python = findPython();
      const dump = () =>
        execFileSync(python, ['-c', PY_DUMP, h.store.location], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const before = JSON.parse(dump()) as Record<string, Array<Record<string, unknown>>>;
      const snap = await snapshot(h.db);
      const victims = ids(snap.Execution).filter((_, i) => i % 3 === 0);
      const r = await h.lifecycle.delete({
        selection: { executionIds: victims },
        mode: DeleteMode.DELETE_MODE_CASCADE,
      });
      const gone = {
        artifacts: new Set((r.deleted?.artifacts?.ids ?? []).map(String)),
        executions: new Set((r.deleted?.executions?.ids ?? []).map(String)),
        contexts: new Set((r.deleted?.contexts?.ids ?? []).map(String)),
      };
      assert.ok(gone.executions.size > 0);
      const after = JSON.parse(dump()) as typeof before;
      const kept = (kind: keyof typeof gone) => before[kind].filter((n) => !gone[kind].has(String(n.id)));
      assert.deepEqual(after.artifacts, kept('artifacts'));
      assert.deepEqual(after.executions, kept('executions'));
      assert.deepEqual(after.contexts, kept('contexts'));
      assert.deepEqual(
        after.events,
        before.events.filter(
          (e) => !gone.artifacts.has(String(e.artifactId)) && !gone.executions.has(String(e.executionId)),
        ),
      );
      assert.ok(after.events.length > 0 && after.artifacts.length > 0);
    });
  }
});

function findPython(): string {
  const candidates = [process.env.MLMD_PYTHON, path.resolve(__dirname, '../../.venv/bin/python')];
  for (const p of candidates) if (p && fs.existsSync(p)) return p;
  throw new Error('the ml-metadata Python package is needed (.venv: bash scripts/setup-test-env.sh, or MLMD_PYTHON)');
}

/** Lists every record with the ml-metadata package, as JSON (proto3 JSON of each message), in id order. */
const PY_DUMP = String.raw`
import json, sys
from google.protobuf.json_format import MessageToDict
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
cfg = pb.ConnectionConfig()
cfg.sqlite.filename_uri = sys.argv[1]
s = metadata_store.MetadataStore(cfg)
d = lambda ms: sorted((MessageToDict(m) for m in ms), key=lambda m: int(m['id']))
arts, exes, ctxs = d(s.get_artifacts()), d(s.get_executions()), d(s.get_contexts())
events = [MessageToDict(e) for e in s.get_events_by_execution_ids([int(e['id']) for e in exes])]
events.sort(key=lambda e: (int(e['artifactId']), int(e['executionId']), e['type']))
print(json.dumps({'artifacts': arts, 'executions': exes, 'contexts': ctxs, 'events': events}))
`;

/**
 * Links between nodes — events, attributions/associations, parent contexts — and the composite PutExecution,
 * through real gRPC against a real SQLite file (spec mlmd-rpc §4, §5.1, §6).
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  Event_Type,
  ListOperationOptions_OrderByField_Field as Field,
  PropertyType,
  type Event,
} from '../../generated/ml_metadata/proto/metadata_store';
import type { MlmdClient } from '../../src/client';
import { expectStatus, intValue, plain, status, stringValue, uniq } from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';

const sortIds = (ids: readonly (bigint | undefined)[]) => [...ids].sort((a, b) => (a! < b! ? -1 : a! > b! ? 1 : 0));

describe('MLMD links over gRPC', () => {
  let ts: TestServer;
  let c: MlmdClient;
  let at: bigint;
  let et: bigint;
  let ct: bigint;

  before(async () => {
    ts = await startTestServer();
    c = ts.client;
    at = (await c.putArtifactType({ artifactType: { name: 'link_artifact', properties: { p: PropertyType.INT } } }))
      .typeId!;
    et = (await c.putExecutionType({ executionType: { name: 'link_execution' } })).typeId!;
    ct = (await c.putContextType({ contextType: { name: 'link_context', properties: { p: PropertyType.INT } } }))
      .typeId!;
  });
  after(async () => {
    await ts?.stop();
  });

  const newArtifacts = async (n: number) =>
    (await c.putArtifacts({ artifacts: Array.from({ length: n }, () => ({ typeId: at })) })).artifactIds;
  const newExecutions = async (n: number) =>
    (await c.putExecutions({ executions: Array.from({ length: n }, () => ({ typeId: et })) })).executionIds;
  const newContexts = async (n: number) =>
    (await c.putContexts({ contexts: Array.from({ length: n }, () => ({ typeId: ct, name: uniq('ctx') })) }))
      .contextIds;

  // ------------------------------------------------------------------------------------------------------- events

  describe('events', () => {
    it('PutEvents stores events with paths; GetEventsBy* return them with full paths', async () => {
      const [a1, a2] = await newArtifacts(2);
      const [e1] = await newExecutions(1);
      const before = BigInt(Date.now());
      await c.putEvents({
        events: [
          {
            artifactId: a1,
            executionId: e1,
            type: Event_Type.INPUT,
            path: { steps: [{ value: { $case: 'key', value: 'in' } }, { value: { $case: 'index', value: 2n } }, {}] },
          },
          { artifactId: a2, executionId: e1, type: Event_Type.OUTPUT, millisecondsSinceEpoch: 0n },
        ],
      });
      const byExecution = (await c.getEventsByExecutionIDs({ executionIds: [e1!] })).events;
      assert.equal(byExecution.length, 2);
      const input = byExecution.find((e) => e.artifactId === a1)!;
      assert.equal(input.executionId, e1);
      assert.equal(input.type, Event_Type.INPUT);
      // A step with neither index nor key is dropped; the others keep their order.
      assert.deepEqual(plain(input.path), {
        steps: [{ value: { $case: 'key', value: 'in' } }, { value: { $case: 'index', value: 2n } }],
      });
      assert.ok(input.millisecondsSinceEpoch! >= before - 1000n, 'absent time defaults to now');
      const output = byExecution.find((e) => e.artifactId === a2)!;
      assert.equal(output.millisecondsSinceEpoch, 0n, 'a given time is stored verbatim');
      assert.equal(output.type, Event_Type.OUTPUT);

      const byArtifact = (await c.getEventsByArtifactIDs({ artifactIds: [a2!, a2!, 999_999n] })).events;
      assert.equal(byArtifact.length, 1);
      assert.equal(byArtifact[0]!.executionId, e1);
    });

    it('GetEventsBy*: unknown ids or an empty list are OK and empty; order is (requested id, insertion)', async () => {
      assert.deepEqual((await c.getEventsByExecutionIDs({ executionIds: [] })).events, []);
      assert.deepEqual((await c.getEventsByArtifactIDs({ artifactIds: [424_242n] })).events, []);
      const [a1, a2, a3] = await newArtifacts(3);
      const [e1, e2] = await newExecutions(2);
      await c.putEvents({
        events: [
          { artifactId: a3, executionId: e2, type: Event_Type.INPUT },
          { artifactId: a1, executionId: e1, type: Event_Type.INPUT },
          { artifactId: a2, executionId: e1, type: Event_Type.OUTPUT },
          { artifactId: a1, executionId: e2, type: Event_Type.OUTPUT },
        ],
      });
      const events = (await c.getEventsByExecutionIDs({ executionIds: [e2!, e1!] })).events;
      assert.deepEqual(
        events.map((e) => [e.executionId, e.artifactId]),
        [
          [e1, a1],
          [e1, a2],
          [e2, a3],
          [e2, a1],
        ],
      );
      const byArtifact = (await c.getEventsByArtifactIDs({ artifactIds: [a1!] })).events;
      assert.deepEqual(
        byArtifact.map((e) => e.executionId),
        [e1, e2],
      );
    });

    it('PutEvents validation errors are INVALID_ARGUMENT with MLMD wording', async () => {
      const [a] = await newArtifacts(1);
      const [e] = await newExecutions(1);
      await expectStatus(
        c.putEvents({ events: [{ executionId: e, type: Event_Type.INPUT }] }),
        status.INVALID_ARGUMENT,
        'No artifact id is specified',
      );
      await expectStatus(c.putEvents({ events: [{ artifactId: a, type: Event_Type.INPUT }] }), status.INVALID_ARGUMENT);
      await expectStatus(
        c.putEvents({ events: [{ artifactId: a, executionId: e }] }),
        status.INVALID_ARGUMENT,
        'No event type is specified',
      );
      await expectStatus(
        c.putEvents({ events: [{ artifactId: a, executionId: e, type: Event_Type.UNKNOWN }] }),
        status.INVALID_ARGUMENT,
        'No event type is specified',
      );
      await expectStatus(
        c.putEvents({ events: [{ artifactId: 777_777n, executionId: e, type: Event_Type.INPUT }] }),
        status.INVALID_ARGUMENT,
        'No artifact with the given id',
      );
      await expectStatus(
        c.putEvents({ events: [{ artifactId: a, executionId: 777_777n, type: Event_Type.INPUT }] }),
        status.INVALID_ARGUMENT,
      );
      assert.deepEqual((await c.getEventsByExecutionIDs({ executionIds: [e!] })).events, []);
    });

    it('a duplicate (artifact, execution, type) is ALREADY_EXISTS and the whole request rolls back', async () => {
      const [a, b] = await newArtifacts(2);
      const [e] = await newExecutions(1);
      const ev: Event = { artifactId: a, executionId: e, type: Event_Type.INPUT };
      await c.putEvents({ events: [ev] });
      // Path and time do not make it different.
      await expectStatus(
        c.putEvents({
          events: [{ ...ev, millisecondsSinceEpoch: 5n, path: { steps: [{ value: { $case: 'index', value: 1n } }] } }],
        }),
        status.ALREADY_EXISTS,
      );
      await expectStatus(
        c.putEvents({ events: [{ artifactId: b, executionId: e, type: Event_Type.OUTPUT }, ev] }),
        status.ALREADY_EXISTS,
      );
      const dupInRequest: Event = { artifactId: b, executionId: e, type: Event_Type.INPUT };
      await expectStatus(c.putEvents({ events: [dupInRequest, dupInRequest] }), status.ALREADY_EXISTS);
      assert.equal(
        (await c.getEventsByExecutionIDs({ executionIds: [e!] })).events.length,
        1,
        'only the first event remains',
      );
      // Another type between the same nodes is a different event.
      await c.putEvents({ events: [{ ...ev, type: Event_Type.OUTPUT }] });
      assert.equal((await c.getEventsByExecutionIDs({ executionIds: [e!] })).events.length, 2);
    });
  });

  // --------------------------------------------------------------------------------- attributions & associations

  describe('attributions and associations', () => {
    it('link nodes to contexts; reads in both directions', async () => {
      const [a1, a2] = await newArtifacts(2);
      const [e1] = await newExecutions(1);
      const [x1, x2] = await newContexts(2);
      await c.putAttributionsAndAssociations({
        attributions: [
          { contextId: x1, artifactId: a1 },
          { contextId: x1, artifactId: a2 },
          { contextId: x2, artifactId: a1 },
        ],
        associations: [{ contextId: x1, executionId: e1 }],
      });
      assert.deepEqual(
        (await c.getContextsByArtifact({ artifactId: a1 })).contexts.map((x) => x.id),
        [x1, x2],
      );
      assert.deepEqual(
        (await c.getContextsByArtifact({ artifactId: a2 })).contexts.map((x) => x.id),
        [x1],
      );
      assert.deepEqual(
        (await c.getContextsByExecution({ executionId: e1 })).contexts.map((x) => x.id),
        [x1],
      );
      assert.deepEqual(
        (await c.getArtifactsByContext({ contextId: x1 })).artifacts.map((a) => a.id),
        [a1, a2],
      );
      assert.deepEqual(
        (await c.getExecutionsByContext({ contextId: x1 })).executions.map((e) => e.id),
        [e1],
      );
      assert.deepEqual((await c.getExecutionsByContext({ contextId: x2 })).executions, []);
      const ctx = (await c.getContextsByArtifact({ artifactId: a1 })).contexts[0]!;
      assert.equal(ctx.type, 'link_context');
    });

    it('duplicates (stored or within one request) are accepted and idempotent; empty lists are OK', async () => {
      const [a] = await newArtifacts(1);
      const [e] = await newExecutions(1);
      const [x] = await newContexts(1);
      const attribution = { contextId: x, artifactId: a };
      const association = { contextId: x, executionId: e };
      await c.putAttributionsAndAssociations({ attributions: [attribution, attribution], associations: [association] });
      await c.putAttributionsAndAssociations({ attributions: [attribution], associations: [association, association] });
      await c.putAttributionsAndAssociations({ attributions: [], associations: [] });
      await c.putAttributionsAndAssociations({});
      assert.deepEqual(
        (await c.getArtifactsByContext({ contextId: x })).artifacts.map((n) => n.id),
        [a],
      );
      assert.deepEqual(
        (await c.getExecutionsByContext({ contextId: x })).executions.map((n) => n.id),
        [e],
      );
      assert.deepEqual(
        (await c.getContextsByArtifact({ artifactId: a })).contexts.map((n) => n.id),
        [x],
      );
    });

    it('missing or unknown ids are INVALID_ARGUMENT and roll the request back', async () => {
      const [a] = await newArtifacts(1);
      const [e] = await newExecutions(1);
      const [x] = await newContexts(1);
      await expectStatus(
        c.putAttributionsAndAssociations({ attributions: [{ artifactId: a }] }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putAttributionsAndAssociations({ attributions: [{ contextId: x }] }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putAttributionsAndAssociations({ associations: [{ contextId: x }] }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putAttributionsAndAssociations({ attributions: [{ contextId: 555_555n, artifactId: a }] }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putAttributionsAndAssociations({ attributions: [{ contextId: x, artifactId: 555_555n }] }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putAttributionsAndAssociations({
          attributions: [{ contextId: x, artifactId: a }],
          associations: [{ contextId: x, executionId: 555_555n }],
        }),
        status.INVALID_ARGUMENT,
      );
      assert.deepEqual(
        (await c.getArtifactsByContext({ contextId: x })).artifacts,
        [],
        'the valid attribution rolled back',
      );
      assert.deepEqual((await c.getExecutionsByContext({ contextId: x })).executions, []);
      void e;
    });

    it('GetContextsByArtifact/Execution without links (or unknown ids) is NOT_FOUND', async () => {
      const [a] = await newArtifacts(1);
      const [e] = await newExecutions(1);
      await expectStatus(c.getContextsByArtifact({ artifactId: a }), status.NOT_FOUND, 'No contexts found');
      await expectStatus(c.getContextsByExecution({ executionId: e }), status.NOT_FOUND);
      await expectStatus(c.getContextsByArtifact({ artifactId: 31_337n }), status.NOT_FOUND);
      // GetArtifactsByContext is OK and empty instead.
      assert.deepEqual((await c.getArtifactsByContext({ contextId: 31_337n })).artifacts, []);
      assert.deepEqual((await c.getExecutionsByContext({ contextId: 31_337n })).executions, []);
    });

    it('GetArtifactsByContext / GetExecutionsByContext page with options', async () => {
      // Linked through PutExecution (attributions for every pair's artifact, one association per call), so this
      // test does not depend on PutAttributionsAndAssociations.
      const [x] = await newContexts(1);
      const artifacts: bigint[] = [];
      const executions: bigint[] = [];
      for (let i = 0; i < 7; i += 1) {
        const r = await c.putExecution({
          execution: { typeId: et },
          artifactEventPairs: i < 6 ? [{ artifact: { typeId: at } }, { artifact: { typeId: at } }] : [],
          contexts: [{ id: x, typeId: ct }],
          options: { forceReuseContext: true },
        });
        artifacts.push(...r.artifactIds);
        executions.push(r.executionId!);
      }
      assert.equal(artifacts.length, 12);
      await newArtifacts(3); // not linked
      const all = await c.getArtifactsByContext({ contextId: x });
      assert.deepEqual(
        all.artifacts.map((a) => a.id),
        artifacts,
      );
      assert.ok(!all.nextPageToken);

      const seen: bigint[] = [];
      let token: string | undefined;
      for (let guard = 0; guard < 10; guard += 1) {
        const r = await c.getArtifactsByContext({
          contextId: x,
          options: { maxResultSize: 5, orderByField: { field: Field.ID, isAsc: false }, nextPageToken: token },
        });
        assert.ok(r.artifacts.length <= 5);
        seen.push(...r.artifacts.map((a) => a.id!));
        token = r.nextPageToken;
        if (!token) break;
      }
      assert.deepEqual(seen, [...artifacts].reverse());

      const first = await c.getExecutionsByContext({
        contextId: x,
        options: { maxResultSize: 4, orderByField: { field: Field.CREATE_TIME, isAsc: false } },
      });
      assert.deepEqual(
        first.executions.map((e) => e.id),
        [...executions].reverse().slice(0, 4),
      );
      const second = await c.getExecutionsByContext({
        contextId: x,
        options: {
          maxResultSize: 4,
          orderByField: { field: Field.CREATE_TIME, isAsc: false },
          nextPageToken: first.nextPageToken,
        },
      });
      assert.deepEqual(
        second.executions.map((e) => e.id),
        [...executions].reverse().slice(4),
      );
      assert.ok(!second.nextPageToken);
      await expectStatus(
        c.getArtifactsByContext({ contextId: x, options: { nextPageToken: 'Invalid String' } }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.getExecutionsByContext({ contextId: x, options: { maxResultSize: 0 } }),
        status.INVALID_ARGUMENT,
      );
    });
  });

  // ---------------------------------------------------------------------------------------------- parent contexts

  describe('parent contexts', () => {
    it('links parents and children; reads come back in ascending id order', async () => {
      const [p1, p2, p3, child, k1, k2, k3] = await newContexts(7);
      await c.putParentContexts({
        parentContexts: [
          { childId: child, parentId: p3 },
          { childId: child, parentId: p1 },
          { childId: child, parentId: p2 },
          { childId: k3, parentId: p1 },
          { childId: k1, parentId: p1 },
          { childId: k2, parentId: p1 },
        ],
      });
      assert.deepEqual(
        (await c.getParentContextsByContext({ contextId: child })).contexts.map((x) => x.id),
        [p1, p2, p3],
      );
      assert.deepEqual(
        (await c.getChildrenContextsByContext({ contextId: p1 })).contexts.map((x) => x.id),
        [child, k1, k2, k3],
      );
      assert.deepEqual((await c.getParentContextsByContext({ contextId: p1 })).contexts, []);
      assert.deepEqual((await c.getChildrenContextsByContext({ contextId: 8_888_888n })).contexts, []);
      const full = (await c.getParentContextsByContext({ contextId: child })).contexts[0]!;
      assert.equal(full.type, 'link_context');
      assert.ok(full.name);
    });

    it('diamonds and contexts of different types are allowed', async () => {
      const other = (await c.putContextType({ contextType: { name: 'link_context_other' } })).typeId!;
      const [top, left, right] = await newContexts(3);
      const [bottom] = (await c.putContexts({ contexts: [{ typeId: other, name: uniq('bottom') }] })).contextIds;
      await c.putParentContexts({
        parentContexts: [
          { childId: left, parentId: top },
          { childId: right, parentId: top },
          { childId: bottom, parentId: left },
          { childId: bottom, parentId: right },
        ],
      });
      assert.deepEqual(
        (await c.getParentContextsByContext({ contextId: bottom })).contexts.map((x) => x.id),
        [left, right],
      );
    });

    it('a self-loop or a cycle is INVALID_ARGUMENT', async () => {
      const [a, b, x] = await newContexts(3);
      await expectStatus(
        c.putParentContexts({ parentContexts: [{ childId: a, parentId: a }] }),
        status.INVALID_ARGUMENT,
      );
      await c.putParentContexts({
        parentContexts: [
          { childId: b, parentId: a },
          { childId: x, parentId: b },
        ],
      });
      await expectStatus(
        c.putParentContexts({ parentContexts: [{ childId: a, parentId: x }] }),
        status.INVALID_ARGUMENT,
        'There is a cycle detected of the given relationship.',
      );
      await expectStatus(
        c.putParentContexts({ parentContexts: [{ childId: a, parentId: b }] }),
        status.INVALID_ARGUMENT,
        'cycle',
      );
      // A cycle closed inside one request is caught too, and nothing of the request remains.
      const [m, n] = await newContexts(2);
      await expectStatus(
        c.putParentContexts({
          parentContexts: [
            { childId: m, parentId: n },
            { childId: n, parentId: m },
          ],
        }),
        status.INVALID_ARGUMENT,
      );
      assert.deepEqual((await c.getParentContextsByContext({ contextId: m })).contexts, []);
    });

    it('missing or unknown ids are INVALID_ARGUMENT', async () => {
      const [a] = await newContexts(1);
      await expectStatus(c.putParentContexts({ parentContexts: [{ childId: a }] }), status.INVALID_ARGUMENT);
      await expectStatus(c.putParentContexts({ parentContexts: [{ parentId: a }] }), status.INVALID_ARGUMENT);
      await expectStatus(
        c.putParentContexts({ parentContexts: [{ childId: a, parentId: 6_666_666n }] }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putParentContexts({ parentContexts: [{ childId: 6_666_666n, parentId: a }] }),
        status.INVALID_ARGUMENT,
      );
      await c.putParentContexts({ parentContexts: [] });
    });

    it('a duplicate link is ALREADY_EXISTS (not idempotent) and rolls the request back', async () => {
      const [p, k, k2] = await newContexts(3);
      await c.putParentContexts({ parentContexts: [{ childId: k, parentId: p }] });
      await expectStatus(c.putParentContexts({ parentContexts: [{ childId: k, parentId: p }] }), status.ALREADY_EXISTS);
      await expectStatus(
        c.putParentContexts({
          parentContexts: [
            { childId: k2, parentId: p },
            { childId: k, parentId: p },
          ],
        }),
        status.ALREADY_EXISTS,
      );
      assert.deepEqual(
        (await c.getChildrenContextsByContext({ contextId: p })).contexts.map((x) => x.id),
        [k],
      );
    });

    it('Get{Parent,Children}ContextsByContexts: maps keyed by requested id, only keys with relatives', async () => {
      const [p1, p2, k1, k2, lonely] = await newContexts(5);
      await c.putParentContexts({
        parentContexts: [
          { childId: k1, parentId: p2 },
          { childId: k1, parentId: p1 },
          { childId: k2, parentId: p1 },
        ],
      });
      const parents = (await c.getParentContextsByContexts({ contextIds: [k1!, k2!, lonely!, 9_999_999n, k1!] }))
        .contexts;
      assert.ok(parents instanceof Map);
      assert.deepEqual(sortIds([...parents.keys()]), [k1, k2]);
      assert.deepEqual(
        parents.get(k1!)!.parentContexts!.map((x) => x.id),
        [p1, p2],
      );
      assert.deepEqual(
        parents.get(k2!)!.parentContexts!.map((x) => x.id),
        [p1],
      );
      assert.equal(parents.get(k2!)!.parentContexts![0]!.type, 'link_context');

      const children = (await c.getChildrenContextsByContexts({ contextIds: [p1!, p2!, lonely!] })).contexts;
      assert.deepEqual(sortIds([...children.keys()]), [p1, p2]);
      assert.deepEqual(
        children.get(p1!)!.childrenContexts!.map((x) => x.id),
        [k1, k2],
      );
      assert.deepEqual(
        children.get(p2!)!.childrenContexts!.map((x) => x.id),
        [k1],
      );

      assert.equal((await c.getParentContextsByContexts({ contextIds: [lonely!] })).contexts.size, 0);
      await expectStatus(
        c.getParentContextsByContexts({ contextIds: [] }),
        status.INVALID_ARGUMENT,
        'Given context_ids is empty',
      );
      await expectStatus(c.getChildrenContextsByContexts({}), status.INVALID_ARGUMENT);
    });
  });

  // ---------------------------------------------------------------------------------------------- PutExecution

  describe('PutExecution', () => {
    it('writes artifacts, the execution, events and contexts with their links; empty pairs give -1', async () => {
      const name = uniq('pe_ctx');
      const r = await c.putExecution({
        execution: { typeId: et },
        artifactEventPairs: [
          { artifact: { typeId: at, uri: '/pe/in' }, event: { type: Event_Type.INPUT } },
          { artifact: { typeId: at, uri: '/pe/out' } },
          {},
        ],
        contexts: [{ typeId: ct, name }],
        options: {
          reuseContextIfAlreadyExist: false,
          reuseArtifactIfAlreadyExistByExternalId: false,
          forceReuseContext: false,
          forceUpdateTime: false,
        },
      });
      const e = r.executionId!;
      assert.equal(r.artifactIds.length, 3);
      const [a1, a2, none] = r.artifactIds;
      assert.equal(none, -1n);
      assert.equal(r.contextIds.length, 1);
      const x = r.contextIds[0]!;

      const events = (await c.getEventsByExecutionIDs({ executionIds: [e] })).events;
      assert.deepEqual(
        events.map((ev) => [ev.artifactId, ev.executionId, ev.type]),
        [[a1, e, Event_Type.INPUT]],
      );
      assert.deepEqual(
        (await c.getContextsByExecution({ executionId: e })).contexts.map((y) => y.id),
        [x],
      );
      assert.deepEqual(
        (await c.getArtifactsByContext({ contextId: x })).artifacts.map((y) => y.id),
        [a1, a2],
      );
      assert.deepEqual(
        (await c.getExecutionsByContext({ contextId: x })).executions.map((y) => y.id),
        [e],
      );
      assert.equal((await c.getContextByTypeAndName({ typeName: 'link_context', contextName: name })).context?.id, x);
      const arts = (await c.getArtifactsById({ artifactIds: [a1!, a2!] })).artifacts;
      const exec = (await c.getExecutionsById({ executionIds: [e] })).executions[0]!;
      for (const a of arts)
        assert.ok(exec.lastUpdateTimeSinceEpoch! >= a.createTimeSinceEpoch!, 'artifacts are written first');
    });

    it('an event without an artifact in its pair uses the event artifact_id; no contexts is fine', async () => {
      const [a] = await newArtifacts(1);
      const r = await c.putExecution({
        execution: { typeId: et },
        artifactEventPairs: [{ event: { artifactId: a, type: Event_Type.OUTPUT } }],
      });
      assert.deepEqual(r.artifactIds, [a]);
      assert.deepEqual(r.contextIds, []);
      const events = (await c.getEventsByExecutionIDs({ executionIds: [r.executionId!] })).events;
      assert.deepEqual(
        events.map((ev) => [ev.artifactId, ev.type]),
        [[a, Event_Type.OUTPUT]],
      );
    });

    it('invalid requests are INVALID_ARGUMENT and write nothing', async () => {
      const countExecutions = async () => (await c.getExecutions({})).executions.length;
      const countArtifacts = async () => (await c.getArtifacts({})).artifacts.length;
      const n = await countExecutions();
      const m = await countArtifacts();
      await expectStatus(c.putExecution({}), status.INVALID_ARGUMENT);
      await expectStatus(c.putExecution({ execution: { id: 1_000_000n, typeId: et } }), status.INVALID_ARGUMENT);
      const [other] = await newArtifacts(1);
      await expectStatus(
        c.putExecution({
          execution: { typeId: et },
          artifactEventPairs: [{ artifact: { typeId: at }, event: { artifactId: other, type: Event_Type.INPUT } }],
        }),
        status.INVALID_ARGUMENT,
        'not aligned',
      );
      await expectStatus(
        c.putExecution({
          execution: { typeId: et },
          artifactEventPairs: [
            { artifact: { typeId: at }, event: { executionId: 1_000_000n, type: Event_Type.INPUT } },
          ],
        }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putExecution({ execution: { typeId: et }, artifactEventPairs: [{ event: { type: Event_Type.INPUT } }] }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putExecution({ execution: { typeId: et }, artifactEventPairs: [{ artifact: { typeId: at }, event: {} }] }),
        status.INVALID_ARGUMENT,
      );
      // Contexts are written last: a context without a name fails after the artifact and execution were written.
      await expectStatus(
        c.putExecution({
          execution: { typeId: et },
          artifactEventPairs: [{ artifact: { typeId: at }, event: { type: Event_Type.INPUT } }],
          contexts: [{ typeId: ct }],
        }),
        status.INVALID_ARGUMENT,
      );
      await expectStatus(
        c.putExecution({ execution: { typeId: et }, contexts: [{ name: uniq('no_type') }] }),
        status.INVALID_ARGUMENT,
      );
      assert.equal(await countExecutions(), n, 'no execution of a failed request remains');
      assert.equal(await countArtifacts(), m + 1, 'no artifact of a failed request remains');
    });

    it('reuse_context_if_already_exist reuses the stored context without updating it', async () => {
      const name = uniq('reuse');
      const first = await c.putExecution({
        execution: { typeId: et },
        contexts: [{ typeId: ct, name, properties: { p: intValue(1) } }],
      });
      const x = first.contextIds[0]!;
      await expectStatus(
        c.putExecution({ execution: { typeId: et }, contexts: [{ typeId: ct, name, properties: { p: intValue(2) } }] }),
        status.ALREADY_EXISTS,
      );
      const second = await c.putExecution({
        execution: { typeId: et },
        contexts: [{ typeId: ct, name, properties: { p: intValue(2) } }],
        options: { reuseContextIfAlreadyExist: true },
      });
      assert.deepEqual(second.contextIds, [x]);
      const stored = (await c.getContextsById({ contextIds: [x] })).contexts[0]!;
      assert.deepEqual(plain(stored.properties), { p: intValue(1) });
      assert.deepEqual(
        (await c.getExecutionsByContext({ contextId: x })).executions.map((e) => e.id),
        [first.executionId, second.executionId],
      );
    });

    it('reuse_context_if_already_exist reuses what the database matches by name, whatever its collation', async () => {
      // MySQL's default collations compare names without case (so does Google's server on MySQL): `RunCase` and
      // `runcase` are one context there and two on SQLite and PostgreSQL. Either way reuse must not fail or loop.
      const name = uniq('RunCase');
      const first = await c.putExecution({ execution: { typeId: et }, contexts: [{ typeId: ct, name }] });
      const lower = name.toLowerCase();
      const second = await c.putExecution({
        execution: { typeId: et },
        contexts: [{ typeId: ct, name: lower }],
        options: { reuseContextIfAlreadyExist: true },
      });
      const byName = await c.getContextByTypeAndName({ typeName: 'link_context', contextName: lower });
      assert.deepEqual(second.contextIds, [byName.context!.id]);
      assert.equal(second.contextIds[0] === first.contextIds[0], byName.context!.name === name);
    });

    it('force_reuse_context only checks that the context exists (NOT_FOUND otherwise)', async () => {
      const [x] = await newContexts(1);
      const before = (await c.getContextsById({ contextIds: [x!] })).contexts[0]!;
      const r = await c.putExecution({
        execution: { typeId: et },
        contexts: [{ id: x, typeId: ct, name: uniq('changed'), properties: { p: intValue(9) } }],
        options: { forceReuseContext: true },
      });
      assert.deepEqual(r.contextIds, [x]);
      assert.deepEqual(plain((await c.getContextsById({ contextIds: [x!] })).contexts[0]), plain(before));
      assert.deepEqual(
        (await c.getExecutionsByContext({ contextId: x })).executions.map((e) => e.id),
        [r.executionId],
      );
      await expectStatus(
        c.putExecution({
          execution: { typeId: et },
          contexts: [{ id: 12_345_678n, typeId: ct, name: 'x' }],
          options: { forceReuseContext: true },
        }),
        status.NOT_FOUND,
      );
    });

    it('reuse_artifact_if_already_exist_by_external_id adopts and updates the stored artifact', async () => {
      const ext = uniq('pe_ext');
      const [a] = (await c.putArtifacts({ artifacts: [{ typeId: at, externalId: ext, uri: '/old' }] })).artifactIds;
      await expectStatus(
        c.putExecution({
          execution: { typeId: et },
          artifactEventPairs: [{ artifact: { typeId: at, externalId: ext } }],
        }),
        status.ALREADY_EXISTS,
      );
      const r = await c.putExecution({
        execution: { typeId: et },
        artifactEventPairs: [
          { artifact: { typeId: at, externalId: ext, uri: '/new' }, event: { type: Event_Type.OUTPUT } },
          { artifact: { typeId: at, externalId: ext, uri: '/new' }, event: { type: Event_Type.INPUT } },
        ],
        options: { reuseArtifactIfAlreadyExistByExternalId: true },
      });
      assert.deepEqual(r.artifactIds, [a, a]);
      assert.equal((await c.getArtifactsById({ artifactIds: [a!] })).artifacts[0]!.uri, '/new');
      assert.equal((await c.getEventsByExecutionIDs({ executionIds: [r.executionId!] })).events.length, 2);
      // Two identical new artifacts in one request collapse to one id.
      const fresh = uniq('pe_fresh');
      const r2 = await c.putExecution({
        execution: { typeId: et },
        artifactEventPairs: [
          { artifact: { typeId: at, externalId: fresh } },
          { artifact: { typeId: at, externalId: fresh } },
        ],
        options: { reuseArtifactIfAlreadyExistByExternalId: true },
      });
      assert.equal(r2.artifactIds[0], r2.artifactIds[1]);
    });

    it('an execution with an id is updated (full replace); unchanged otherwise', async () => {
      const [e] = (await c.putExecutions({ executions: [{ typeId: et, customProperties: { k: stringValue('v') } }] }))
        .executionIds;
      const r = await c.putExecution({ execution: { id: e, typeId: et, customProperties: { k2: intValue(1) } } });
      assert.equal(r.executionId, e);
      assert.deepEqual(plain((await c.getExecutionsById({ executionIds: [e!] })).executions[0]!.customProperties), {
        k2: intValue(1),
      });
    });
  });
});

/**
 * filter_query over real gRPC (spec mlmd-storage-and-query §2.13 valid examples, §2.14 invalid examples, §2.8–2.10
 * semantics): GetArtifacts / GetExecutions / GetContexts (and the by-type / by-context variants) against a fixture
 * store; results are checked by node name where the example's meaning is specific.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';

import { Artifact_State, Event_Type, Execution_State } from '../../generated/ml_metadata/proto/metadata_store';
import type { MlmdClient } from '../../src/client';
import { boolValue, doubleValue, expectStatus, intValue, PropertyType, status, stringValue } from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';

type Kind = 'A' | 'E' | 'C';

describe('filter_query over gRPC', () => {
  let ts: TestServer;
  let c: MlmdClient;
  const ids: Record<string, bigint> = {};
  const names = new Map<string, string>(); // `${kind}${id}` -> fixture label
  const typeIds: Record<string, bigint> = {};

  before(async () => {
    ts = await startTestServer();
    c = ts.client;
    const props = {
      p1: PropertyType.INT,
      p2: PropertyType.DOUBLE,
      p3: PropertyType.STRING,
      p4: PropertyType.BOOLEAN,
      p0: PropertyType.INT,
      '0:b': PropertyType.INT,
    };
    typeIds.ds = (await c.putArtifactType({ artifactType: { name: 'ds', properties: props } })).typeId!;
    typeIds.Dataset = (await c.putArtifactType({ artifactType: { name: 'Dataset', properties: props } })).typeId!;
    typeIds.trainer = (await c.putExecutionType({ executionType: { name: 'trainer', properties: props } })).typeId!;
    typeIds.other = (await c.putExecutionType({ executionType: { name: 'other' } })).typeId!;
    typeIds.pipeline_run = (
      await c.putContextType({ contextType: { name: 'pipeline_run', properties: props } })
    ).typeId!;
    typeIds.pipeline = (await c.putContextType({ contextType: { name: 'pipeline', properties: props } })).typeId!;
    typeIds.parent_context_type = (await c.putContextType({ contextType: { name: 'parent_context_type' } })).typeId!;

    const artifacts = {
      // label: artifact
      a0: {
        typeId: typeIds.ds,
        name: 'a',
        uri: 'abc',
        state: Artifact_State.LIVE,
        externalId: 'artifact_0',
        properties: {
          p1: intValue(0),
          p2: doubleValue(3.0),
          p3: stringValue('0x'),
          p4: boolValue(true),
          '0:b': intValue(1),
        },
        customProperties: { custom_property_0: stringValue('foo'), '0 b': stringValue('2'), p0: intValue(5) },
      },
      a1: {
        typeId: typeIds.ds,
        name: "exe_name_with_'",
        uri: 'uri_1',
        state: Artifact_State.PENDING,
        properties: {
          p1: intValue(1),
          p2: doubleValue(1.5),
          p3: stringValue('1'),
          p4: boolValue(false),
          p0: intValue(2),
        },
        customProperties: { custom_property_0: intValue(3), '3': boolValue(true) },
      },
      a2: {
        typeId: typeIds.Dataset,
        name: 'node_2',
        uri: 'uri_2',
        customProperties: { p: intValue(5), '1': stringValue('x') },
      },
      a3: {
        typeId: typeIds.Dataset,
        name: 'node_20',
        uri: 'URI_3',
        state: Artifact_State.DELETED,
        customProperties: { p: intValue(25), '3': boolValue(false) },
      },
      a4: {
        typeId: typeIds.Dataset,
        state: Artifact_State.MARKED_FOR_DELETION,
        customProperties: { p: stringValue('5') },
      },
    };
    const labels = Object.keys(artifacts);
    const aIds = (await c.putArtifacts({ artifacts: Object.values(artifacts) })).artifactIds;
    labels.forEach((l, i) => ((ids[l] = aIds[i]), names.set(`A${aIds[i]}`, l)));

    const executions = {
      e0: {
        typeId: typeIds.trainer,
        name: "exe_name_with_'",
        lastKnownState: Execution_State.RUNNING,
        properties: { p1: intValue(0) },
      },
      e1: { typeId: typeIds.trainer, name: 'e1', lastKnownState: Execution_State.COMPLETE },
      e2: { typeId: typeIds.other, name: 'e2' },
      e3: { typeId: typeIds.trainer, name: 'e3', lastKnownState: Execution_State.NEW },
    };
    const eIds = (await c.putExecutions({ executions: Object.values(executions) })).executionIds;
    Object.keys(executions).forEach((l, i) => ((ids[l] = eIds[i]), names.set(`E${eIds[i]}`, l)));

    const contexts = {
      c0: { typeId: typeIds.pipeline_run, name: 'run1', customProperties: { custom_property_1: stringValue('foo') } },
      c1: { typeId: typeIds.pipeline_run, name: "context_name_with_'" },
      c2: {
        typeId: typeIds.pipeline,
        name: 'properties.component.component',
        properties: { p0: intValue(2) },
        customProperties: { p1: doubleValue(0.5) },
      },
      c3: { typeId: typeIds.parent_context_type, name: 'parent_context1' },
    };
    const cIds = (await c.putContexts({ contexts: Object.values(contexts) })).contextIds;
    Object.keys(contexts).forEach((l, i) => ((ids[l] = cIds[i]), names.set(`C${cIds[i]}`, l)));

    // links
    const attributions = [
      ['c0', 'a0'],
      ['c0', 'a1'],
      ['c1', 'a1'],
      ['c2', 'a2'],
    ].map(([cx, a]) => ({ contextId: ids[cx], artifactId: ids[a] }));
    const associations = [
      ['c0', 'e0'],
      ['c1', 'e0'],
      ['c2', 'e0'],
      ['c0', 'e1'],
      ['c2', 'e3'],
    ].map(([cx, e]) => ({ contextId: ids[cx], executionId: ids[e] }));
    const events = [
      { artifactId: ids.a0, executionId: ids.e0, type: Event_Type.INPUT, millisecondsSinceEpoch: 1n },
      { artifactId: ids.a1, executionId: ids.e0, type: Event_Type.OUTPUT, millisecondsSinceEpoch: 2n },
      { artifactId: ids.a2, executionId: ids.e1, type: Event_Type.DECLARED_OUTPUT, millisecondsSinceEpoch: 3n },
    ];
    const raw = () => new BetterSqlite3(ts.dbPath);
    // Link RPCs that are not implemented yet are replaced by rows written straight into the same file.
    const unimplemented = (e: unknown) => {
      if ((e as { code?: number }).code !== status.UNIMPLEMENTED) throw e;
    };
    try {
      await c.putAttributionsAndAssociations({ attributions, associations });
    } catch (e) {
      unimplemented(e);
      const db = raw();
      for (const x of attributions)
        db.prepare('INSERT INTO Attribution (context_id, artifact_id) VALUES (?, ?)').run(x.contextId, x.artifactId);
      for (const x of associations)
        db.prepare('INSERT INTO Association (context_id, execution_id) VALUES (?, ?)').run(x.contextId, x.executionId);
      db.close();
    }
    try {
      await c.putEvents({ events });
    } catch (e) {
      unimplemented(e);
      const db = raw();
      for (const x of events)
        db.prepare(
          'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?, ?, ?, ?)',
        ).run(x.artifactId, x.executionId, x.type, x.millisecondsSinceEpoch);
      db.close();
    }
    // c3 is the parent of c2 and c0; c2 is the parent of c1
    const parents = [
      ['c2', 'c3'],
      ['c0', 'c3'],
      ['c1', 'c2'],
    ].map(([child, parent]) => ({ childId: ids[child], parentId: ids[parent] }));
    try {
      await c.putParentContexts({ parentContexts: parents });
    } catch (e) {
      unimplemented(e);
      const db = raw();
      for (const x of parents)
        db.prepare('INSERT INTO ParentContext (context_id, parent_context_id) VALUES (?, ?)').run(
          x.childId,
          x.parentId,
        );
      db.close();
    }
  });
  after(() => ts?.stop());

  async function list(kind: Kind, filterQuery: string): Promise<string[]> {
    const out: string[] = [];
    let nextPageToken: string | undefined;
    do {
      const options = { filterQuery, maxResultSize: 2, nextPageToken };
      let nodes: Array<{ id?: bigint }>;
      let token: string | undefined;
      if (kind === 'A') ({ artifacts: nodes, nextPageToken: token } = await c.getArtifacts({ options }));
      else if (kind === 'E') ({ executions: nodes, nextPageToken: token } = await c.getExecutions({ options }));
      else ({ contexts: nodes, nextPageToken: token } = await c.getContexts({ options }));
      out.push(...nodes.map((n) => names.get(`${kind}${n.id}`) ?? `?${n.id}`));
      nextPageToken = token;
    } while (nextPageToken);
    return out;
  }

  const all = (kind: Kind) => [...names.keys()].filter((k) => k.startsWith(kind)).map((k) => names.get(k)!);

  /** [query, kinds it applies to, expected labels per kind (omitted: only checked to run)] */
  type Example = [string, Kind[], Partial<Record<Kind, string[] | ((all: string[]) => string[])>>?];
  const except =
    (...xs: string[]) =>
    (all: string[]) =>
      all.filter((x) => !xs.includes(x));

  const VALID: () => Example[] = () => [
    [`id != ${ids.a0}`, ['A'], { A: except('a0') }],
    [`NOT(id = ${ids.e1})`, ['E'], { E: except('e1') }],
    [`id IN (${ids.c0}, ${ids.c2})`, ['C'], { C: ['c0', 'c2'] }],
    [`type_id = ${typeIds.ds}`, ['A'], { A: ['a0', 'a1'] }],
    ['type_id > 1', ['A', 'E', 'C']],
    ['type_id + 1 > 1', ['A', 'E', 'C'], { A: (x) => x, E: (x) => x, C: (x) => x }],
    ["type = 'Dataset'", ['A'], { A: ['a2', 'a3', 'a4'] }],
    ['type IS NOT NULL', ['A', 'E', 'C'], { A: (x) => x, E: (x) => x, C: (x) => x }],
    [`type = 'ds' AND type_id = ${typeIds.ds}`, ['A'], { A: ['a0', 'a1'] }],
    [`type = 'ds' AND type_id != ${typeIds.ds}`, ['A'], { A: [] }],
    ["(type = 'trainer' AND name = 'e1') OR (type = 'trainer' AND name = 'e3')", ['E'], { E: ['e1', 'e3'] }],
    ["name = 'a'", ['A'], { A: ['a0'] }],
    ['name IS NOT NULL', ['A'], { A: except('a4') }],
    [`name = "exe_name_with_'"`, ['A', 'E'], { A: ['a1'], E: ['e0'] }],
    ["external_id = 'artifact_0'", ['A', 'E', 'C'], { A: ['a0'], E: [], C: [] }],
    ['create_time_since_epoch = 1626761453', ['A', 'E', 'C'], { A: [], E: [], C: [] }],
    ['create_time_since_epoch > 1', ['A', 'E', 'C'], { A: (x) => x }],
    ['create_time_since_epoch + 1 > 1', ['A', 'E', 'C'], { E: (x) => x }],
    ['last_update_time_since_epoch > 1700000000000', ['A', 'E', 'C'], { C: (x) => x }],
    ["uri = 'abc'", ['A'], { A: ['a0'] }],
    ["uri like 'abc'", ['A'], { A: ['a0'] }],
    ["uri LIKE 'uri_%'", ['A'], { A: ['a1', 'a2', 'a3'] }], // SQLite LIKE: case-insensitive, `_` a wildcard
    ['uri IS NOT NULL', ['A'], { A: (x) => x }], // a4 was written without a uri: stored as '' like MLMD
    ["uri LIKE 'uri_%' OR state = LIVE", ['A'], { A: ['a0', 'a1', 'a2', 'a3'] }],
    [`uri LIKE 'uri_%' AND type_id = ${typeIds.Dataset} AND state IS NULL`, ['A'], { A: ['a2'] }],
    ['state = PENDING', ['A'], { A: ['a1'] }],
    ['state=PENDING', ['A'], { A: ['a1'] }],
    ['state = LIVE', ['A'], { A: ['a0'] }],
    ['state != LIVE', ['A'], { A: ['a1', 'a2', 'a3', 'a4'] }], // NULL state included
    ['state = PENDING AND state = LIVE', ['A'], { A: [] }],
    ['state = LIVE OR state = DELETED', ['A'], { A: ['a0', 'a3'] }],
    ['state IN (PENDING, LIVE)', ['A'], { A: ['a0', 'a1'] }],
    ['state NOT IN (DELETED)', ['A'], { A: ['a0', 'a1', 'a2', 'a4'] }],
    ['state <> 2', ['A'], { A: ['a1', 'a3', 'a4'] }], // not the enum rewrite: NULL excluded
    ['last_known_state = RUNNING', ['E'], { E: ['e0'] }],
    ['last_known_state!=COMPLETE', ['E'], { E: ['e0', 'e2', 'e3'] }],
    ['last_known_state = CANCELED', ['E'], { E: [] }],
    ['last_known_state IN (COMPLETE, RUNNING)', ['E'], { E: ['e0', 'e1'] }],
    ['last_known_state IS NOT NULL', ['E'], { E: ['e0', 'e1', 'e3'] }],
    ['last_known_state = NEW OR last_known_state = RUNNING', ['E'], { E: ['e0', 'e3'] }],
    [`id != ${ids.e0} OR last_known_state = COMPLETE`, ['E'], { E: ['e1', 'e2', 'e3'] }],
    [`contexts_0.id = ${ids.c0}`, ['A', 'E'], { A: ['a0', 'a1'], E: ['e0', 'e1'] }],
    ["contexts_2.name = '1'", ['A', 'E'], { A: [], E: [] }],
    ["contexts_abc.type = 'foo'", ['A', 'E'], { A: [], E: [] }],
    ['contexts_abc.create_time_since_epoch = 1', ['A', 'E'], { A: [], E: [] }],
    ['contexts_abc.last_update_time_since_epoch = 1', ['A', 'E'], { A: [], E: [] }],
    ["contexts_c.name LIKE '%' AND contexts_c.type = 'pipeline_run'", ['A', 'E'], { A: ['a0', 'a1'], E: ['e0', 'e1'] }],
    [
      "uri IS NOT NULL AND type = 'ds' AND contexts_c.name = 'run1' AND contexts_c.type = 'pipeline_run'",
      ['A'],
      { A: ['a0', 'a1'] },
    ],
    [
      `type = 'trainer' AND contexts_c.id = ${ids.c1} AND contexts_c.name = "context_name_with_'" AND contexts_c.type = 'pipeline_run'`,
      ['E'],
      { E: ['e0'] },
    ],
    ["contexts_c.name = 'run1' AND contexts_c.type = 'pipeline'", ['A', 'E'], { A: [], E: [] }], // same alias = same context
    ["contexts_c.name = 'run1' AND contexts_d.type = 'pipeline'", ['E'], { E: ['e0'] }], // different aliases
    ['contexts_c.create_time_since_epoch < 1000 AND contexts_c.last_update_time_since_epoch < 1000', ['E'], { E: [] }],
    [
      "(contexts_0.type = 'pipeline') AND (contexts_0.name = 'properties.component.component')",
      ['E'],
      { E: ['e0', 'e3'] },
    ],
    [`contexts_1.name = "context_name_with_'"`, ['E'], { E: ['e0'] }],
    [`NOT(type_id = ${typeIds.ds}) AND (contexts_foo.type = 'pipeline' OR uri like 'x%')`, ['A'], { A: ['a2'] }],
    ["NOT (contexts_a.name = 'run1')", ['A', 'E'], { A: ['a1', 'a2'], E: ['e0', 'e3'] }], // some context not named run1
    ["properties.p1.int_value = 1 OR name = 'node_2'", ['A'], { A: ['a1'] }], // inner join: a2 has no p1
    [
      "type_id = 1 OR type = 'Dataset' AND contexts_0.name = '1' AND (properties.0.int_value > 1 OR custom_properties.0.int_value > 1) AND custom_properties.1.string_value IS NOT NULL",
      ['A', 'E'],
      { A: [], E: [] },
    ],
    [`artifacts_0.id = ${ids.a1}`, ['C'], { C: ['c0', 'c1'] }],
    ["artifacts_2.name = '1'", ['C'], { C: [] }],
    ["artifacts_abc.type = 'Dataset'", ['C'], { C: ['c2'] }],
    ["artifacts_0.uri like 'ab_'", ['C'], { C: ['c0'] }],
    ['artifacts_0.state = LIVE', ['C'], { C: ['c0'] }],
    ['artifacts_0.state IN (PENDING, LIVE)', ['C'], { C: ['c0', 'c1'] }],
    ['artifacts_0.state != LIVE', ['C'], { C: ['c0', 'c1', 'c2'] }],
    [`artifacts_c.id = ${ids.a1} and name = 'run1'`, ['C'], { C: ['c0'] }],
    [`executions_0.id = ${ids.e3}`, ['C'], { C: ['c2'] }],
    ['executions_0.last_known_state = COMPLETE', ['C'], { C: ['c0'] }],
    ['executions_0.last_known_state IN (COMPLETE, RUNNING)', ['C'], { C: ['c0', 'c1', 'c2'] }],
    [`executions_c.id = ${ids.e1} and artifacts_a.id = ${ids.a0}`, ['C'], { C: ['c0'] }],
    [`parent_contexts_0.id = ${ids.c3}`, ['C'], { C: ['c0', 'c2'] }],
    ["parent_contexts_2.name = '1'", ['C'], { C: [] }],
    ["parent_contexts_abc.type = 'pipeline'", ['C'], { C: ['c1'] }],
    [`child_contexts_0.id = ${ids.c1}`, ['C'], { C: ['c2'] }],
    ["child_contexts_0.name LIKE 'run%'", ['C'], { C: ['c3'] }],
    [`child_contexts_0.id = ${ids.c2} AND child_contexts_1.id != ${ids.c2}`, ['C'], { C: ['c3'] }],
    [
      "parent_contexts_c.type = 'parent_context_type' AND custom_properties.custom_property_1.string_value = 'foo'",
      ['C'],
      { C: ['c0'] },
    ],
    [
      "type = 'pipeline' AND (properties.p0.int_value > 1 OR custom_properties.p1.double_value > 0.9) AND (parent_contexts_0.name = 'parent_context1' AND parent_contexts_0.type = 'parent_context_type') AND (child_contexts_0.name = \"context_name_with_'\" AND child_contexts_0.type = 'pipeline_run')",
      ['C'],
      { C: ['c2'] },
    ],
    [`events_0.execution_id = ${ids.e0}`, ['A'], { A: ['a0', 'a1'] }],
    [`events_0.artifact_id = ${ids.a2}`, ['E'], { E: ['e1'] }],
    ['events_0.milliseconds_since_epoch = 1', ['A', 'E'], { A: ['a0'], E: ['e0'] }],
    ['events_0.type = INPUT', ['A', 'E'], { A: ['a0'], E: ['e0'] }],
    ['events_0.type=OUTPUT', ['A', 'E'], { A: ['a1'], E: ['e0'] }],
    ['events_0.type IN (OUTPUT, DECLARED_OUTPUT)', ['A', 'E'], { A: ['a1', 'a2'], E: ['e0', 'e1'] }],
    ['events_0.type = INPUT OR events_0.type = OUTPUT', ['A'], { A: ['a0', 'a1'] }],
    ['events_0.type = OUTPUT AND events_0.milliseconds_since_epoch = 1', ['A', 'E'], { A: [], E: [] }], // same event
    [`uri = 'uri_1' AND events_0.execution_id = ${ids.e0}`, ['A'], { A: ['a1'] }],
    [`events_0.artifact_id = ${ids.a0} AND events_0.type = OUTPUT`, ['E'], { E: [] }],
    ['properties.p1.int_value = 0', ['A', 'E', 'C'], { A: ['a0'], E: ['e0'], C: [] }],
    ['(properties.p1.int_value + 2) * 1 = 2', ['A'], { A: ['a0'] }],
    ['properties.p2.double_value > 2.0', ['A'], { A: ['a0'] }],
    ['properties.p2.double_value > 2.0 / 1.0 - (-0.5)', ['A'], { A: ['a0'] }],
    ["properties.p3.string_value LIKE '0%'", ['A'], { A: ['a0'] }],
    ["properties.foo.string_value = '2'", ['A', 'E', 'C'], { A: [], E: [], C: [] }],
    ['properties.p4.bool_value = true', ['A'], { A: ['a0'] }],
    ['properties.p4.bool_value', ['A'], { A: ['a0'] }],
    ['NOT properties.p4.bool_value', ['A'], { A: ['a1'] }],
    ['custom_properties.3.bool_value != false', ['A'], { A: ['a1'] }],
    ['properties.p2.double_value IS NOT NULL', ['A'], { A: ['a0', 'a1'] }],
    ['custom_properties.custom_property_0.int_value IS NULL', ['A'], { A: ['a0'] }], // has the property, not an int
    [
      "custom_properties.custom_property_0.int_value IS NULL AND custom_properties.custom_property_0.double_value IS NULL AND custom_properties.custom_property_0.string_value = 'foo'",
      ['A', 'E', 'C'],
      { A: ['a0'], E: [], C: [] },
    ],
    ['properties.`0:b`.int_value = 1', ['A'], { A: ['a0'] }],
    ["custom_properties.`0 b`.string_value != '1'", ['A'], { A: ['a0'] }],
    [
      'properties.p1.int_value = 0 AND custom_properties.`custom_property:0`.int_value > 0 AND custom_properties.`custom_property 0`.double_value > 0',
      ['A', 'E', 'C'],
      { A: [], E: [], C: [] },
    ],
    ["properties.p0.int_value = 2 OR properties.p0.string_value = '1'", ['A', 'C'], { A: ['a1'], C: ['c2'] }],
    ['properties.p0.int_value > 1 OR custom_properties.p0.int_value > 1', ['A'], { A: [] }], // needs both rows
    ['properties.p0.int_value > 1 AND custom_properties.p0.int_value > 1', ['A'], { A: [] }],
    [
      "properties.unknown.int_value > 0 OR custom_properties.some_property.string_value = '0'",
      ['A', 'E', 'C'],
      { A: [], E: [], C: [] },
    ],
    ["custom_properties.p.int_value < 21 AND name LIKE 'node_2%'", ['A'], { A: ['a2'] }],
    ["custom_properties.p.int_value < 26 AND name LIKE 'node_2%'", ['A'], { A: ['a2', 'a3'] }],
  ];

  it('accepts every valid example of §2.13 and returns what it means', async () => {
    for (const [query, kinds, expected] of VALID()) {
      for (const kind of kinds) {
        let got: string[];
        try {
          got = await list(kind, query);
        } catch (e) {
          assert.fail(`${query} on ${kind}: ${(e as Error).message}`);
        }
        const want = expected?.[kind];
        if (want === undefined) continue;
        const wanted = typeof want === 'function' ? want(all(kind)) : want;
        assert.deepEqual(got, wanted, `${query} on ${kind}`);
      }
    }
  });

  it('filters the by-type and by-context listings too', async () => {
    const byType = await c.getArtifactsByType({
      typeName: 'Dataset',
      options: { filterQuery: "uri LIKE 'uri_%'", maxResultSize: 10 },
    });
    assert.deepEqual(
      byType.artifacts.map((a) => names.get(`A${a.id}`)),
      ['a2', 'a3'],
    );
    try {
      const byContext = await c.getExecutionsByContext({
        contextId: ids.c0,
        options: { filterQuery: 'last_known_state = NEW OR last_known_state = RUNNING', maxResultSize: 10 },
      });
      assert.deepEqual(
        byContext.executions.map((e) => names.get(`E${e.id}`)),
        ['e0'],
      );
    } catch (e) {
      if (!String((e as Error).message).includes('not implemented')) throw e;
    }
  });

  /** [query, kinds, message part] */
  const INVALID: Array<[string, Kind[], string]> = [
    ['   ', ['A', 'E', 'C'], 'Syntax error'],
    ['invalid syntax', ['A', 'E', 'C'], 'Syntax error'],
    ["a == 'a'", ['A'], 'Syntax error'],
    ['a', ['A', 'E', 'C'], 'Unrecognized name: a'],
    ["a = 'a'", ['A'], 'Unrecognized name'],
    ['create_time_since_epoch = a', ['E'], 'Unrecognized name'],
    ['name = a', ['C'], 'Unrecognized name'],
    ['external_id = a', ['A'], 'Unrecognized name'],
    ["'a'", ['A'], 'not a valid boolean expression'],
    ['type_id', ['E'], 'not a valid boolean expression'],
    ['state', ['A'], 'not a valid boolean expression'],
    ['last_known_state', ['E'], 'not a valid boolean expression'],
    ["id = 'a'", ['A', 'E', 'C'], 'No matching signature for operator = for argument types'],
    ["type_id = 'a'", ['A'], 'No matching signature for operator = for argument types'],
    ['type = 1', ['E'], 'No matching signature for operator = for argument types'],
    ['uri = 1', ['A'], 'No matching signature for operator = for argument types'],
    ['name = 1', ['C'], 'No matching signature for operator = for argument types'],
    ['external_id = 1', ['A'], 'No matching signature for operator = for argument types'],
    ["create_time_since_epoch = 'a'", ['A'], 'No matching signature for operator = for argument types'],
    ["last_update_time_since_epoch = 'a'", ['C'], 'No matching signature for operator = for argument types'],
    ['uri = 1', ['E', 'C'], 'Unrecognized name'],
    ...(['contexts', 'contexts_0', 'properties', 'properties.foo', 'custom_properties.foo', 'events'] as const).map(
      (q): [string, Kind[], string] => [q, ['A', 'E'], 'Unrecognized name'],
    ),
    ...(['artifacts', 'artifacts_0', 'executions', 'executions_0', 'child_contexts_0', 'parent_contexts'] as const).map(
      (q): [string, Kind[], string] => [q, ['C'], 'Unrecognized name'],
    ),
    ['contexts_0.foo', ['A', 'E'], 'Field name foo does not exist'],
    ['artifacts_0.foo', ['C'], 'Field name foo does not exist'],
    ['executions_0.foo', ['C'], 'Field name foo does not exist'],
    ['child_contexts_0.foo', ['C'], 'Field name foo does not exist'],
    ['parent_contexts_0.foo', ['C'], 'Field name foo does not exist'],
    ["events_0.field_1 = '1'", ['A', 'E'], 'Field name field_1 does not exist'],
    ['contexts_0.id.', ['A', 'E'], 'Unexpected end of expression'],
    ['properties.bar.', ['A', 'E', 'C'], 'Unexpected end of expression'],
    ['custom_properties.bar.', ['A', 'E', 'C'], 'Unexpected end of expression'],
    ['events_0.execution_id.', ['A'], 'Unexpected end of expression'],
    ['contexts_0.id.bar', ['A', 'E'], 'Cannot access field bar'],
    ['artifacts_0.id.bar', ['C'], 'Cannot access field bar'],
    ['executions_0.id.bar', ['C'], 'Cannot access field bar'],
    ['parent_contexts_0.id.bar', ['C'], 'Cannot access field bar'],
    ['child_contexts_0.id.bar', ['C'], 'Cannot access field bar'],
    ['properties.baz.int', ['A', 'E', 'C'], 'Field name int does not exist'],
    ['custom_properties.baz.string', ['A', 'E', 'C'], 'Field name string does not exist'],
    ['properties.0:b.int_value = 1', ['A'], 'Syntax error'],
    ['custom_properties.0:b.string_value', ['A'], 'Syntax error'],
    ["state = 'LIVE'", ['A'], 'No matching signature for operator'],
    ["last_known_state = 'RUNNING'", ['E'], 'No matching signature for operator'],
    ['state = 1', ['A'], 'Unsupported enum value specified'],
    ['last_known_state = 1', ['E'], 'Unsupported enum value specified'],
    ['state = RUNNING', ['A'], 'Unsupported enum value specified'],
    ['last_known_state = LIVE', ['E'], 'Unsupported enum value specified'],
    ['last_known_state NOT IN (PENDING)', ['E'], 'Unsupported enum value specified'],
    ['events_0.type = SOME_ENUM', ['A', 'E'], 'Unsupported enum value specified'],
    ['events_0.type IN (SOME_ENUM)', ['A', 'E'], 'Unsupported enum value specified'],
    ['state IN RUNNING', ['A'], 'Expected a list of enum values enclosed in parentheses'],
    ['last_known_state IN ()', ['E'], 'Syntax error'],
    ['events_0.artifact_id = 1', ['A'], 'Field name artifact_id does not exist'],
    ['events_0.execution_id = 1', ['E'], 'Field name execution_id does not exist'],
    ['events_0.artifact_id = 1', ['C'], 'Unrecognized name'],
    ['executions_c.id = 123', ['A', 'E'], 'Unrecognized name'],
    ['artifacts_c.id = 123', ['A', 'E'], 'Unrecognized name'],
    ["unknown_field = 'uri_3' and type_id = 1", ['A'], 'Unrecognized name'],
    ["name = 'exe_name_with_''", ['A', 'E'], 'Syntax error'],
  ];

  it('answers INVALID_ARGUMENT for every invalid example of §2.14', async () => {
    for (const [query, kinds, part] of INVALID) {
      for (const kind of kinds) {
        const options = { filterQuery: query, maxResultSize: 10 };
        const call =
          kind === 'A'
            ? c.getArtifacts({ options })
            : kind === 'E'
              ? c.getExecutions({ options })
              : c.getContexts({ options });
        const e = await expectStatus(call, status.INVALID_ARGUMENT, part);
        assert.match(e.details, /^Invalid `filter_query`: .* \[at \d+:\d+\]$/s, `${query} on ${kind}`);
      }
    }
  });
});

/**
 * Hostile input cannot hurt (issue 11), over real gRPC, on SQLite and (MLMD_TEST_BACKEND=postgres) PostgreSQL:
 *   - values that could not be read back exactly are refused, naming the property, and nothing is written;
 *   - every filter_query limit is INVALID_ARGUMENT naming it, before any SQL runs, on every filter entry point;
 *   - the queries that froze the server (aliases that multiplied) answer, at the limits;
 *   - a read past the read time limit is RESOURCE_EXHAUSTED, and other calls go on meanwhile.
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Event_Type, PropertyType, type Value } from '../../generated/ml_metadata/proto/metadata_store';
import {
  MAX_FILTER_ALIASES,
  MAX_FILTER_DEPTH,
  MAX_FILTER_IN_LIST,
  MAX_FILTER_PROPERTIES,
  MAX_FILTER_QUERY_LENGTH,
  MAX_FILTER_VALUES,
} from '../../src/query';
import { LARGEST_READABLE_DOUBLE, MAX_STRUCT_NESTING } from '../../src/storage/readable-values';
import { TEST_BACKEND } from '../helpers/backend';
import { startCmfServer, type CmfTestServer } from './cmf-harness';
import { doubleValue, expectStatus, intValue, plain, status, stringValue, structValue, uniq } from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';

const protoValue = (typeUrl: string, value: Buffer): Value => ({
  value: { $case: 'protoValue', value: { typeUrl, value } },
});

/** A struct nested `levels` deep (the struct itself is level 1). */
function nestedStruct(levels: number): Record<string, unknown> {
  let s: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) s = { inner: s };
  return s;
}

describe('values that could not be read back exactly are refused', () => {
  let ts: TestServer;
  let at: bigint;
  before(async () => {
    ts = await startTestServer();
    at = (
      await ts.client.putArtifactType({
        artifactType: { name: uniq('vals'), properties: { d: PropertyType.DOUBLE, s: PropertyType.STRING } },
      })
    ).typeId!;
  });
  after(() => ts?.stop());

  const refused: Array<[string, Record<string, Value>, string]> = [
    ['NaN', { nan_prop: doubleValue(NaN) }, 'NaN'],
    ['a double read back as infinity', { big_prop: doubleValue(1.7976931348623157e308) }, 'infinity'],
    ['a negative one', { neg_prop: doubleValue(-1.7976931348623157e308) }, 'infinity'],
    [
      'a string starting with mlmd-struct::',
      { str_prop: stringValue('mlmd-struct::Cg0KAXgSCBEAAAAAAADwPw==') },
      'mlmd-struct::',
    ],
    [
      'a struct nested too deep',
      { deep_prop: structValue(nestedStruct(MAX_STRUCT_NESTING + 1)) },
      'MAX_STRUCT_NESTING',
    ],
    ['a proto_value with an empty type_url', { any_prop: protoValue('', Buffer.from([8, 1])) }, 'type_url'],
  ];
  for (const [what, custom, message] of refused) {
    it(`${what}: INVALID_ARGUMENT naming the property, on insert and on update; nothing written`, async () => {
      const name = Object.keys(custom)[0];
      const e = await expectStatus(
        ts.client.putArtifacts({ artifacts: [{ typeId: at, customProperties: custom }] }),
        status.INVALID_ARGUMENT,
        message,
      );
      assert.ok(e.details.includes(name), e.details);
      const [id] = (
        await ts.client.putArtifacts({ artifacts: [{ typeId: at, customProperties: { ok: intValue(1) } }] })
      ).artifactIds;
      await expectStatus(
        ts.client.putArtifacts({ artifacts: [{ id, typeId: at, customProperties: { ok: intValue(2), ...custom } }] }),
        status.INVALID_ARGUMENT,
        name,
      );
      const [stored] = (await ts.client.getArtifactsById({ artifactIds: [id!] })).artifacts;
      assert.deepEqual(plain(stored.customProperties), { ok: intValue(1) });
      // every listing still reads (a poisoned row made them all fail)
      await ts.client.getArtifacts({});
    });
  }

  it('declared properties are checked too, on executions and contexts as on artifacts', async () => {
    await expectStatus(
      ts.client.putArtifacts({ artifacts: [{ typeId: at, properties: { d: doubleValue(NaN) } }] }),
      status.INVALID_ARGUMENT,
      'properties["d"]',
    );
    await expectStatus(
      ts.client.putArtifacts({ artifacts: [{ typeId: at, properties: { s: stringValue('mlmd-struct::') } }] }),
      status.INVALID_ARGUMENT,
      'properties["s"]',
    );
    const et = (await ts.client.putExecutionType({ executionType: { name: uniq('e') } })).typeId!;
    const ct = (await ts.client.putContextType({ contextType: { name: uniq('c') } })).typeId!;
    await expectStatus(
      ts.client.putExecutions({ executions: [{ typeId: et, customProperties: { x: doubleValue(NaN) } }] }),
      status.INVALID_ARGUMENT,
      'custom_properties["x"]',
    );
    await expectStatus(
      ts.client.putContexts({ contexts: [{ typeId: ct, name: uniq('c'), customProperties: { y: doubleValue(NaN) } }] }),
      status.INVALID_ARGUMENT,
      'custom_properties["y"]',
    );
  });

  it('what can be read back is stored exactly: the limits themselves, the prefix inside a string', async () => {
    const values: Record<string, Value> = {
      largest: doubleValue(LARGEST_READABLE_DOUBLE),
      smallest: doubleValue(-LARGEST_READABLE_DOUBLE),
      inner_prefix: stringValue(' mlmd-struct::'),
      nested: structValue(nestedStruct(MAX_STRUCT_NESTING)),
      any: protoValue('type.googleapis.com/x', Buffer.from([8, 1])),
    };
    const [id] = (await ts.client.putArtifacts({ artifacts: [{ typeId: at, customProperties: values }] })).artifactIds;
    const [stored] = (await ts.client.getArtifactsById({ artifactIds: [id!] })).artifacts;
    assert.deepEqual(plain(stored.customProperties), plain(values));
  });

  it('infinities are stored exactly, except on MySQL (its DOUBLE holds none): INVALID_ARGUMENT naming the property', async () => {
    const infinities = { inf: doubleValue(Infinity), ninf: doubleValue(-Infinity) };
    if (TEST_BACKEND === 'mysql') {
      for (const [name, value] of Object.entries(infinities)) {
        await expectStatus(
          ts.client.putArtifacts({ artifacts: [{ typeId: at, customProperties: { [name]: value } }] }),
          status.INVALID_ARGUMENT,
          `custom_properties["${name}"]`,
        );
      }
      return;
    }
    const [id] = (await ts.client.putArtifacts({ artifacts: [{ typeId: at, customProperties: infinities }] }))
      .artifactIds;
    const [stored] = (await ts.client.getArtifactsById({ artifactIds: [id!] })).artifacts;
    assert.deepEqual(plain(stored.customProperties), plain(infinities));
  });
});

describe('CMF custom properties follow the same rule', () => {
  let s: CmfTestServer;
  before(async () => {
    s = await startCmfServer();
  });
  after(() => s?.stop());

  it('NaN in a pipeline, stage or execution custom property is INVALID_ARGUMENT naming it', async () => {
    await expectStatus(
      s.cmf.createPipeline({ pipelineName: uniq('p'), customProperties: { cmf_nan: doubleValue(NaN) } }),
      status.INVALID_ARGUMENT,
      'cmf_nan',
    );
    const pipelineName = uniq('p');
    await s.cmf.createPipeline({ pipelineName, customProperties: {} });
    await expectStatus(
      s.cmf.createStage({ pipelineName, stageName: 'st', customProperties: { stage_nan: doubleValue(NaN) } }),
      status.INVALID_ARGUMENT,
      'stage_nan',
    );
  });
});

describe('filter_query limits: INVALID_ARGUMENT naming the limit, on every filter entry point', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
    const t = (await ts.client.putArtifactType({ artifactType: { name: uniq('lim') } })).typeId!;
    await ts.client.putArtifacts({ artifacts: [{ typeId: t, uri: 'u' }] });
  });
  after(() => ts?.stop());

  const repeat = (n: number, f: (i: number) => string, sep: string) =>
    Array.from({ length: n }, (_, i) => f(i)).join(sep);
  const cases: Array<[string, string, string]> = [
    ['1,100 nested parentheses', `${'('.repeat(1100)}id = 1${')'.repeat(1100)}`, 'MAX_FILTER_DEPTH'],
    ['1,100 NOTs', `${'NOT '.repeat(1100)}id = 1`, 'MAX_FILTER_DEPTH'],
    ['1,100 unary minuses', `id = ${'- '.repeat(1100)}id`, 'MAX_FILTER_DEPTH'],
    ['an arithmetic chain of 5,000', `id = ${repeat(5000, () => 'id', ' + ')}`, 'MAX_FILTER_DEPTH'],
    ['an IN list of 32,768', `id IN (${repeat(32768, () => '1', ',')})`, 'MAX_FILTER_IN_LIST'],
    ['an IN list of 32,768 longer numbers', `id IN (${repeat(32768, (i) => `${i}`, ',')})`, 'MAX_FILTER_QUERY_LENGTH'],
    [
      // (an IN list of literals is one bound value; each comparison binds its own)
      'more bound values than allowed',
      repeat(MAX_FILTER_VALUES + 1, () => 'id=1', ' OR '),
      'MAX_FILTER_VALUES',
    ],
    ['a query over the length limit', `uri = '${'x'.repeat(MAX_FILTER_QUERY_LENGTH)}'`, 'MAX_FILTER_QUERY_LENGTH'],
    ['25 aliases', repeat(25, (i) => `contexts_a${i}.name != 'x'`, ' AND '), 'MAX_FILTER_ALIASES'],
    ['40 aliases (a 64-table join)', repeat(40, (i) => `contexts_a${i}.id > 0`, ' AND '), 'MAX_FILTER_ALIASES'],
    [
      '100 properties (200 FROM terms)',
      repeat(100, (i) => `custom_properties.p${i}.int_value = 1`, ' OR '),
      'MAX_FILTER_PROPERTIES',
    ],
    [
      'one condition relating three aliases',
      'events_a.execution_id + events_b.execution_id = events_c.execution_id',
      'MAX_FILTER_RELATED_ALIASES',
    ],
  ];
  for (const [what, filterQuery, limit] of cases) {
    it(what, async () => {
      await expectStatus(ts.client.getArtifacts({ options: { filterQuery } }), status.INVALID_ARGUMENT, limit);
    });
  }

  it('the limits hold for executions, contexts and lineage starting nodes', async () => {
    const deep = `${'('.repeat(MAX_FILTER_DEPTH + 1)}id = 1${')'.repeat(MAX_FILTER_DEPTH + 1)}`;
    await expectStatus(
      ts.client.getExecutions({ options: { filterQuery: deep } }),
      status.INVALID_ARGUMENT,
      'MAX_FILTER_DEPTH',
    );
    await expectStatus(
      ts.client.getContexts({ options: { filterQuery: deep } }),
      status.INVALID_ARGUMENT,
      'MAX_FILTER_DEPTH',
    );
    await expectStatus(
      ts.client.getLineageSubgraph({
        lineageSubgraphQueryOptions: {
          startingNodes: { $case: 'startingArtifacts', value: { filterQuery: deep } },
          maxNumHops: 1n,
        },
      }),
      status.INVALID_ARGUMENT,
      'MAX_FILTER_DEPTH',
    );
  });

  it('at the limits, queries answer: depth, IN list, values, aliases, properties, a 5,000-term OR chain', async () => {
    const ok = [
      `${'('.repeat(MAX_FILTER_DEPTH - 1)}id > 0${')'.repeat(MAX_FILTER_DEPTH - 1)}`,
      `id IN (${repeat(MAX_FILTER_IN_LIST, (i) => `${i}`, ',')})`,
      repeat(MAX_FILTER_VALUES, () => 'id=1', ' OR '),
      repeat(MAX_FILTER_ALIASES, (i) => `contexts_a${i}.name != 'x'`, ' OR '),
      repeat(MAX_FILTER_PROPERTIES, (i) => `custom_properties.p${i}.int_value = 1`, ' OR '),
      repeat(5000, (i) => `id = ${i}`, ' OR '),
    ];
    for (const filterQuery of ok) await ts.client.getArtifacts({ options: { filterQuery } });
  });
});

describe('queries that froze the server answer (aliases add up instead of multiplying)', () => {
  let ts: TestServer;
  let contextType: bigint;
  before(async () => {
    ts = await startTestServer();
    // 60 artifacts, each in 2 of 30 contexts: a naive join of N aliases holds 2^N rows per artifact.
    const at = (await ts.client.putArtifactType({ artifactType: { name: uniq('A') } })).typeId!;
    contextType = (await ts.client.putContextType({ contextType: { name: uniq('C') } })).typeId!;
    const { artifactIds } = await ts.client.putArtifacts({
      artifacts: Array.from({ length: 60 }, (_, i) => ({ typeId: at, uri: `u${i}` })),
    });
    const { contextIds } = await ts.client.putContexts({
      contexts: Array.from({ length: 30 }, (_, i) => ({ typeId: contextType, name: `c${i}` })),
    });
    await ts.client.putAttributionsAndAssociations({
      attributions: artifactIds.flatMap((a, i) => [
        { artifactId: a, contextId: contextIds[i % 30] },
        { artifactId: a, contextId: contextIds[(i + 1) % 30] },
      ]),
      associations: [],
    });
  });
  after(() => ts?.stop());

  it(`GetArtifacts with ${MAX_FILTER_ALIASES} aliases of contexts_aN.name != 'x' lists every artifact`, async () => {
    const filterQuery = Array.from({ length: MAX_FILTER_ALIASES }, (_, i) => `contexts_a${i}.name != 'x'`).join(
      ' AND ',
    );
    const r = await ts.client.getArtifacts({ options: { filterQuery, maxResultSize: 100 } });
    assert.equal(r.artifacts.length, 60);
  });

  it("GetContextsByType with 8 artifacts_aN.uri != 'x' aliases lists every context", async () => {
    const filterQuery = Array.from({ length: 8 }, (_, i) => `artifacts_a${i}.uri != 'x'`).join(' AND ');
    const type = (await ts.client.getContextTypesById({ typeIds: [contextType] })).contextTypes[0].name!;
    const r = await ts.client.getContextsByType({ typeName: type, options: { filterQuery, maxResultSize: 100 } });
    assert.equal(r.contexts.length, 30);
  });
});

describe('the read time limit', () => {
  let ts: TestServer;
  let artifact: bigint;
  before(async () => {
    ts = await startTestServer({}, { readTimeLimitMs: 2000 });
    // One artifact with 12,000 events: a condition relating two events_ aliases tries 144 million combinations,
    // far more than any machine evaluates within the limit.
    const at = (await ts.client.putArtifactType({ artifactType: { name: uniq('T') } })).typeId!;
    const et = (await ts.client.putExecutionType({ executionType: { name: uniq('E') } })).typeId!;
    [artifact] = (await ts.client.putArtifacts({ artifacts: [{ typeId: at }] })).artifactIds;
    const { executionIds } = await ts.client.putExecutions({
      executions: Array.from({ length: 4000 }, () => ({ typeId: et })),
    });
    const types = [Event_Type.INPUT, Event_Type.OUTPUT, Event_Type.DECLARED_INPUT];
    await ts.client.putEvents({
      events: executionIds.flatMap((executionId) =>
        types.map((type) => ({ artifactId: artifact, executionId, type, millisecondsSinceEpoch: 1n })),
      ),
    });
  });
  after(() => ts?.stop());

  it('a read past it is RESOURCE_EXHAUSTED naming the limit; other reads and writes answer meanwhile', async () => {
    const order: string[] = [];
    const slow = expectStatus(
      ts.client.getArtifacts({
        options: { filterQuery: 'events_a.milliseconds_since_epoch + events_b.milliseconds_since_epoch = 3' },
      }),
      status.RESOURCE_EXHAUSTED,
      'read time limit',
    ).then(() => order.push('slow'));
    const others = (async () => {
      await ts.client.getArtifactsById({ artifactIds: [artifact] });
      await ts.client.putArtifactType({ artifactType: { name: uniq('meanwhile') } });
      order.push('others');
    })();
    await Promise.all([slow, others]);
    assert.deepEqual(order, ['others', 'slow']);
    // and the store still answers reads afterwards
    assert.equal((await ts.client.getArtifactsById({ artifactIds: [artifact] })).artifacts.length, 1);
  });
});

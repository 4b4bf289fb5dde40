/**
 * Node writes and reads (artifacts, executions, contexts) through real gRPC against a real SQLite file
 * (spec mlmd-rpc §0.5, §1.3, §1.4, §3).
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  Artifact_State,
  Execution_State,
  PropertyType,
  type Artifact,
  type Context,
  type Execution,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import type { MlmdClient } from '../../src/client';
import {
  boolValue,
  doubleValue,
  expectStatus,
  intValue,
  plain,
  presentKeys,
  status,
  stringValue,
  structValue,
  uniq,
} from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestClock } from '../helpers/clock';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

describe('MLMD nodes over gRPC', () => {
  let ts: TestServer;
  // Stored timestamps from a clock the tests move on (no sleeping until the system clock has).
  const clock = new TestClock();
  let c: MlmdClient;
  let artifactTypeId: bigint;
  let artifactTypeName: string;
  let executionTypeId: bigint;
  let contextTypeId: bigint;
  let allKindsTypeId: bigint;

  const typeProps = {
    p_int: PropertyType.INT,
    p_double: PropertyType.DOUBLE,
    p_string: PropertyType.STRING,
  };

  before(async () => {
    ts = await startTestServer({}, { clock: clock.now });
    c = ts.client;
    artifactTypeName = 'node_artifact_type';
    artifactTypeId = (await c.putArtifactType({ artifactType: { name: artifactTypeName, properties: typeProps } }))
      .typeId!;
    executionTypeId = (
      await c.putExecutionType({ executionType: { name: 'node_execution_type', properties: typeProps } })
    ).typeId!;
    contextTypeId = (await c.putContextType({ contextType: { name: 'node_context_type', properties: typeProps } }))
      .typeId!;
    allKindsTypeId = (
      await c.putArtifactType({
        artifactType: {
          name: 'all_kinds',
          properties: {
            i: PropertyType.INT,
            d: PropertyType.DOUBLE,
            s: PropertyType.STRING,
            st: PropertyType.STRUCT,
            pr: PropertyType.PROTO,
            b: PropertyType.BOOLEAN,
          },
        },
      })
    ).typeId!;
  });
  after(async () => {
    await ts?.stop();
  });

  async function putArtifact(a: Artifact): Promise<bigint> {
    const r = await c.putArtifacts({ artifacts: [{ typeId: artifactTypeId, ...a }] });
    return r.artifactIds[0]!;
  }
  async function getArtifact(id: bigint): Promise<Artifact> {
    const r = await c.getArtifactsById({ artifactIds: [id] });
    assert.equal(r.artifacts.length, 1, `artifact ${id} must exist`);
    return r.artifacts[0]!;
  }
  async function getExecution(id: bigint): Promise<Execution> {
    const r = await c.getExecutionsById({ executionIds: [id] });
    assert.equal(r.executions.length, 1);
    return r.executions[0]!;
  }
  async function getContext(id: bigint): Promise<Context> {
    const r = await c.getContextsById({ contextIds: [id] });
    assert.equal(r.contexts.length, 1);
    return r.contexts[0]!;
  }
  async function countArtifactsOfType(typeName: string): Promise<number> {
    return (await c.getArtifactsByType({ typeName })).artifacts.length;
  }

  // ---------------------------------------------------------------------------------------------- inserts & presence

  it('inserts return index-aligned ids; an empty put is OK', async () => {
    const r = await c.putArtifacts({ artifacts: [{ typeId: artifactTypeId }, { typeId: artifactTypeId, uri: '/b' }] });
    assert.equal(r.artifactIds.length, 2);
    assert.ok(r.artifactIds[0]! > 0n && r.artifactIds[1]! > r.artifactIds[0]!);
    assert.deepEqual((await c.putArtifacts({ artifacts: [] })).artifactIds, []);
    assert.deepEqual((await c.putExecutions({})).executionIds, []);
    assert.deepEqual((await c.putContexts({})).contextIds, []);
  });

  it('artifact read presence: uri always present, state/name/external_id absent when unset', async () => {
    const before = BigInt(Date.now());
    const id = await putArtifact({});
    const a = await getArtifact(id);
    assert.deepEqual(presentKeys(a), [
      'createTimeSinceEpoch',
      'customProperties',
      'id',
      'lastUpdateTimeSinceEpoch',
      'properties',
      'type',
      'typeId',
      'uri',
    ]);
    assert.equal(a.uri, '');
    assert.equal(a.type, artifactTypeName);
    assert.equal(a.typeId, artifactTypeId);
    assert.equal(a.createTimeSinceEpoch, a.lastUpdateTimeSinceEpoch);
    assert.ok(a.createTimeSinceEpoch! >= before - 1000n && a.createTimeSinceEpoch! <= BigInt(Date.now()) + 1000n);
    assert.equal(a.systemMetadata, undefined);

    const full = await putArtifact({
      uri: '/x',
      name: uniq('named'),
      externalId: uniq('ext'),
      state: Artifact_State.LIVE,
    });
    const b = await getArtifact(full);
    assert.ok(['externalId', 'name', 'state', 'uri'].every((k) => presentKeys(b).includes(k)));
    assert.equal(b.state, Artifact_State.LIVE);
  });

  it('explicit UNKNOWN state is stored and returned as present', async () => {
    const id = await putArtifact({ state: Artifact_State.UNKNOWN });
    assert.equal((await getArtifact(id)).state, Artifact_State.UNKNOWN);
    const eid = (
      await c.putExecutions({ executions: [{ typeId: executionTypeId, lastKnownState: Execution_State.UNKNOWN }] })
    ).executionIds[0]!;
    assert.equal((await getExecution(eid)).lastKnownState, Execution_State.UNKNOWN);
  });

  it('execution and context read presence', async () => {
    const eid = (await c.putExecutions({ executions: [{ typeId: executionTypeId }] })).executionIds[0]!;
    const e = await getExecution(eid);
    assert.deepEqual(presentKeys(e), [
      'createTimeSinceEpoch',
      'customProperties',
      'id',
      'lastUpdateTimeSinceEpoch',
      'properties',
      'type',
      'typeId',
    ]);
    assert.equal(e.type, 'node_execution_type');
    const name = uniq('ctx');
    const cid = (await c.putContexts({ contexts: [{ typeId: contextTypeId, name }] })).contextIds[0]!;
    const x = await getContext(cid);
    assert.deepEqual(presentKeys(x), [
      'createTimeSinceEpoch',
      'customProperties',
      'id',
      'lastUpdateTimeSinceEpoch',
      'name',
      'properties',
      'type',
      'typeId',
    ]);
    assert.equal(x.name, name);
  });

  it('client-supplied timestamps and type names are ignored on insert', async () => {
    const id = await putArtifact({ createTimeSinceEpoch: 5n, lastUpdateTimeSinceEpoch: 6n, type: 'bogus' });
    const a = await getArtifact(id);
    assert.notEqual(a.createTimeSinceEpoch, 5n);
    assert.notEqual(a.lastUpdateTimeSinceEpoch, 6n);
    assert.equal(a.type, artifactTypeName);
  });

  it('insert errors: missing type_id, unknown type, empty context name', async () => {
    await expectStatus(c.putArtifacts({ artifacts: [{ uri: '/no_type' }] }), status.INVALID_ARGUMENT);
    await expectStatus(c.putArtifacts({ artifacts: [{ typeId: 987_654n }] }), status.NOT_FOUND);
    // An execution type id is not an artifact type id.
    await expectStatus(c.putArtifacts({ artifacts: [{ typeId: executionTypeId }] }), status.NOT_FOUND);
    await expectStatus(c.putContexts({ contexts: [{ typeId: contextTypeId }] }), status.INVALID_ARGUMENT);
    await expectStatus(
      c.putContexts({ contexts: [{ typeId: contextTypeId, name: '' }] }),
      status.INVALID_ARGUMENT,
      'Context name should not be empty',
    );
  });

  it('property validation: unknown property and unmatched type are INVALID_ARGUMENT with MLMD wording', async () => {
    const n = await countArtifactsOfType(artifactTypeName);
    await expectStatus(
      c.putArtifacts({ artifacts: [{ typeId: artifactTypeId, properties: { nope: intValue(1) } }] }),
      status.INVALID_ARGUMENT,
      'unknown property',
    );
    await expectStatus(
      c.putArtifacts({ artifacts: [{ typeId: artifactTypeId, properties: { p_int: stringValue('x') } }] }),
      status.INVALID_ARGUMENT,
      'unmatched property type',
    );
    // A Value with no case set in `properties` is the same error (Python test_put_invalid_artifact).
    const err = await expectStatus(
      c.putArtifacts({ artifacts: [{ typeId: artifactTypeId, properties: { p_int: {} } }] }),
      status.INVALID_ARGUMENT,
      'unmatched property type',
    );
    assert.match(err.details, /Found unmatched property type: p_int/);
    await expectStatus(
      c.putExecutions({ executions: [{ typeId: executionTypeId, properties: { p_double: intValue(3) } }] }),
      status.INVALID_ARGUMENT,
      'unmatched property type',
    );
    await expectStatus(
      c.putContexts({ contexts: [{ typeId: contextTypeId, name: uniq('c'), properties: { zz: intValue(3) } }] }),
      status.INVALID_ARGUMENT,
      'unknown property',
    );
    assert.equal(await countArtifactsOfType(artifactTypeName), n);
    // custom_properties are not validated: any key, any case.
    const id = await putArtifact({ customProperties: { anything: stringValue('ok'), p_int: doubleValue(1.5) } });
    assert.deepEqual(plain((await getArtifact(id)).customProperties), {
      anything: stringValue('ok'),
      p_int: doubleValue(1.5),
    });
  });

  it('duplicate names in a type are ALREADY_EXISTS and the whole batch is rolled back', async () => {
    const typeName = 'dup_names_type';
    const typeId = (await c.putArtifactType({ artifactType: { name: typeName } })).typeId!;
    const x = uniq('x');
    await c.putArtifacts({ artifacts: [{ typeId, name: x }] });
    assert.equal(await countArtifactsOfType(typeName), 1);
    const fresh = uniq('fresh');
    await expectStatus(
      c.putArtifacts({
        artifacts: [
          { typeId, name: fresh },
          { typeId, uri: '/y' },
          { typeId, name: x },
        ],
      }),
      status.ALREADY_EXISTS,
    );
    assert.equal(await countArtifactsOfType(typeName), 1, 'nothing of the failed batch may remain');
    assert.equal((await c.getArtifactByTypeAndName({ typeName, artifactName: fresh })).artifact, undefined);
    // Two new nodes with the same name in one request.
    const twin = uniq('twin');
    await expectStatus(
      c.putArtifacts({
        artifacts: [
          { typeId, name: twin },
          { typeId, name: twin },
        ],
      }),
      status.ALREADY_EXISTS,
    );
    assert.equal(await countArtifactsOfType(typeName), 1);
    // Unnamed nodes never collide; "" is a value and does.
    await c.putArtifacts({ artifacts: [{ typeId }, { typeId }] });
    await c.putArtifacts({ artifacts: [{ typeId, name: '' }] });
    await expectStatus(c.putArtifacts({ artifacts: [{ typeId, name: '' }] }), status.ALREADY_EXISTS);
    assert.equal(await countArtifactsOfType(typeName), 4);
    // Same name in another type is fine.
    await putArtifact({ name: x });

    const cx = uniq('ctx');
    await c.putContexts({ contexts: [{ typeId: contextTypeId, name: cx }] });
    const before = (await c.getContexts({})).contexts.length;
    await expectStatus(
      c.putContexts({
        contexts: [
          { typeId: contextTypeId, name: uniq('ok') },
          { typeId: contextTypeId, name: cx },
        ],
      }),
      status.ALREADY_EXISTS,
    );
    assert.equal((await c.getContexts({})).contexts.length, before);
    const en = uniq('exec');
    await c.putExecutions({ executions: [{ typeId: executionTypeId, name: en }] });
    await expectStatus(c.putExecutions({ executions: [{ typeId: executionTypeId, name: en }] }), status.ALREADY_EXISTS);
  });

  it('duplicate external_id on insert is ALREADY_EXISTS', async () => {
    const ext = uniq('ext');
    await putArtifact({ externalId: ext });
    await expectStatus(
      c.putArtifacts({ artifacts: [{ typeId: artifactTypeId, externalId: ext }] }),
      status.ALREADY_EXISTS,
    );
    // external ids are unique per node kind, not across kinds
    await c.putExecutions({ executions: [{ typeId: executionTypeId, externalId: ext }] });
  });

  // ---------------------------------------------------------------------------------------------- values

  it('int64 extremes round-trip exactly in properties and custom properties', async () => {
    const id = await putArtifact({
      properties: { p_int: intValue(INT64_MAX) },
      customProperties: {
        max: intValue(INT64_MAX),
        min: intValue(INT64_MIN),
        zero: intValue(0n),
        neg: intValue(-1n),
        big: intValue(2n ** 53n + 1n),
      },
    });
    const a = await getArtifact(id);
    assert.deepEqual(plain(a.properties), { p_int: intValue(INT64_MAX) });
    assert.deepEqual(plain(a.customProperties), {
      max: intValue(INT64_MAX),
      min: intValue(INT64_MIN),
      zero: intValue(0n),
      neg: intValue(-1n),
      big: intValue(2n ** 53n + 1n),
    });
    const id2 = await putArtifact({ properties: { p_int: intValue(INT64_MIN) } });
    assert.deepEqual(plain((await getArtifact(id2)).properties), { p_int: intValue(INT64_MIN) });
  });

  it('doubles keep full IEEE-754 precision (-0 reads back as 0)', async () => {
    const values: Record<string, number> = {
      tiny: 1e-7,
      sum: 0.1 + 0.2,
      negzero: -0,
      // the largest double the ml-metadata package reads back as finite (larger ones are refused: mlmd-limits)
      large: 1.797693134862315e308,
      // infinities: mlmd-limits (MySQL refuses them)
      huge: 1e300,
      pi: Math.PI,
      denorm: 5e-324,
      neg: -123456.789012345,
    };
    const custom: Record<string, Value> = {};
    for (const [k, v] of Object.entries(values)) custom[k] = doubleValue(v);
    const id = await putArtifact({ properties: { p_double: doubleValue(0.1 + 0.2) }, customProperties: custom });
    const a = await getArtifact(id);
    for (const [k, v] of Object.entries(values)) {
      const got = a.customProperties![k]!.value;
      assert.equal(got?.$case, 'doubleValue', `${k} must stay a double`);
      if (Object.is(v, -0)) {
        // SQLite's REAL affinity stores -0.0 as the integer 0 (schema v10's double_value column is DOUBLE), and
        // upstream MLMD writes "-0.000000" into the same column: the sign is lost in both, the value is 0.
        assert.equal(got!.value, 0, `${k}: expected 0, got ${String(got!.value)}`);
        continue;
      }
      assert.ok(Object.is(got!.value, v), `${k}: expected ${v}, got ${String(got!.value)}`);
    }
    assert.deepEqual(plain(a.properties), { p_double: doubleValue(0.30000000000000004) });
  });

  it('Unicode strings round-trip in names, uris, external ids and values', async () => {
    const texts = [
      'emoji 😀🚀👩‍👩‍👧',
      '中文字符 日本語 한국어',
      'combining é é',
      'rtl עברית العربية',
      'quotes \' " \\ %_',
      'tab\tnewline\n',
    ];
    for (const t of texts) {
      const name = `${t}_${uniq('n')}`;
      const id = await putArtifact({
        name,
        uri: t,
        externalId: name,
        properties: { p_string: stringValue(t) },
        customProperties: { [t]: stringValue(t) },
      });
      const a = await getArtifact(id);
      assert.equal(a.name, name);
      assert.equal(a.uri, t);
      assert.equal(a.externalId, name);
      assert.deepEqual(plain(a.properties), { p_string: stringValue(t) });
      assert.deepEqual(plain(a.customProperties), { [t]: stringValue(t) });
      assert.equal(
        (await c.getArtifactByTypeAndName({ typeName: artifactTypeName, artifactName: name })).artifact?.id,
        id,
      );
      assert.ok((await c.getArtifactsByUri({ uris: [t] })).artifacts.some((x) => x.id === id));
      assert.equal((await c.getArtifactsByExternalIds({ externalIds: [name] })).artifacts[0]?.id, id);
    }
    const cname = '上下文 🎉';
    const cid = (await c.putContexts({ contexts: [{ typeId: contextTypeId, name: cname }] })).contextIds[0]!;
    assert.equal(
      (await c.getContextByTypeAndName({ typeName: 'node_context_type', contextName: cname })).context?.id,
      cid,
    );
  });

  it('struct, proto (Any), bool, string and empty-string values round-trip', async () => {
    const struct = { a: 1, b: 'x', c: [true, null, 2.5, 'y'], d: { e: { f: [] } }, g: {} };
    const any = { typeUrl: 'type.googleapis.com/ml_metadata.Artifact', value: Buffer.from([8, 42, 0, 255]) };
    const id = (
      await c.putArtifacts({
        artifacts: [
          {
            typeId: allKindsTypeId,
            properties: {
              i: intValue(7),
              d: doubleValue(2.5),
              s: stringValue(''),
              st: structValue(struct),
              pr: { value: { $case: 'protoValue', value: any } },
              b: boolValue(false),
            },
            customProperties: { t: boolValue(true), st: structValue({ k: 'v' }), s: stringValue('mlmd') },
          },
        ],
      })
    ).artifactIds[0]!;
    const a = await getArtifact(id);
    assert.deepEqual(plain(a.properties!.st), structValue(struct));
    assert.deepEqual(plain(a.properties!.b), boolValue(false));
    assert.deepEqual(plain(a.properties!.s), stringValue(''));
    assert.deepEqual(plain(a.properties!.i), intValue(7));
    assert.deepEqual(plain(a.properties!.d), doubleValue(2.5));
    const pr = a.properties!.pr!.value;
    assert.equal(pr?.$case, 'protoValue');
    assert.equal(pr!.value.typeUrl, any.typeUrl);
    assert.deepEqual(Buffer.from(pr!.value.value!), any.value);
    assert.deepEqual(plain(a.customProperties), {
      t: boolValue(true),
      st: structValue({ k: 'v' }),
      s: stringValue('mlmd'),
    });
    // A typed property must match its declared kind.
    await expectStatus(
      c.putArtifacts({ artifacts: [{ typeId: allKindsTypeId, properties: { st: stringValue('{}') } }] }),
      status.INVALID_ARGUMENT,
      'unmatched property type',
    );
    await expectStatus(
      c.putArtifacts({ artifacts: [{ typeId: allKindsTypeId, properties: { b: intValue(1) } }] }),
      status.INVALID_ARGUMENT,
      'unmatched property type',
    );
  });

  // ---------------------------------------------------------------------------------------------- updates

  it('full update replaces: omitted properties deleted, external_id cleared, uri "", state absent, type kept', async () => {
    const name = uniq('upd');
    const id = await putArtifact({
      name,
      uri: '/old',
      externalId: uniq('ext'),
      state: Artifact_State.LIVE,
      properties: { p_int: intValue(1), p_string: stringValue('s') },
      customProperties: { c1: intValue(1), c2: stringValue('two') },
    });
    const before = await getArtifact(id);
    const r = await c.putArtifacts({
      artifacts: [
        { id, properties: { p_int: intValue(2) }, customProperties: { c2: stringValue('TWO'), c3: boolValue(true) } },
      ],
    });
    assert.deepEqual(r.artifactIds, [id]);
    const a = await getArtifact(id);
    assert.equal(a.typeId, artifactTypeId, 'an omitted type_id keeps the stored type');
    assert.equal(a.name, name, 'artifact names are never changed by updates');
    assert.equal(a.uri, '');
    assert.equal(a.externalId, undefined);
    assert.equal(a.state, undefined);
    assert.deepEqual(plain(a.properties), { p_int: intValue(2) });
    assert.deepEqual(plain(a.customProperties), { c2: stringValue('TWO'), c3: boolValue(true) });
    assert.equal(a.createTimeSinceEpoch, before.createTimeSinceEpoch);
    assert.ok(a.lastUpdateTimeSinceEpoch! >= before.lastUpdateTimeSinceEpoch!);
  });

  it('updating with a different name is silently ignored for artifacts and executions', async () => {
    const id = await putArtifact({ name: uniq('keep') });
    const name = (await getArtifact(id)).name;
    await c.putArtifacts({ artifacts: [{ id, name: uniq('other') }] });
    assert.equal((await getArtifact(id)).name, name);
    const eid = (await c.putExecutions({ executions: [{ typeId: executionTypeId }] })).executionIds[0]!;
    await c.putExecutions({ executions: [{ id: eid, name: uniq('late'), lastKnownState: Execution_State.RUNNING }] });
    const e = await getExecution(eid);
    assert.equal(e.name, undefined);
    assert.equal(e.lastKnownState, Execution_State.RUNNING);
    await c.putExecutions({ executions: [{ id: eid }] });
    assert.equal((await getExecution(eid)).lastKnownState, undefined, 'a full update without state drops it');
  });

  it('re-putting a node exactly as read is a no-op (timestamp unchanged)', async () => {
    const id = await putArtifact({ uri: '/same', properties: { p_int: intValue(5) } });
    const a = await getArtifact(id);
    clock.advance(5);
    await c.putArtifacts({ artifacts: [a] });
    assert.equal((await getArtifact(id)).lastUpdateTimeSinceEpoch, a.lastUpdateTimeSinceEpoch);
    await c.putArtifacts({ artifacts: [{ ...a, uri: '/changed' }] });
    const b = await getArtifact(id);
    assert.equal(b.uri, '/changed');
    assert.ok(b.lastUpdateTimeSinceEpoch! > a.lastUpdateTimeSinceEpoch!, 'a change bumps last_update_time');
  });

  it('updating an unknown id is INVALID_ARGUMENT; a different type_id is INVALID_ARGUMENT; both roll back', async () => {
    const id = await putArtifact({ uri: '/u' });
    await expectStatus(
      c.putArtifacts({
        artifacts: [
          { id, uri: '/changed' },
          { id: 99_999_999n, uri: '/x' },
        ],
      }),
      status.INVALID_ARGUMENT,
      'Cannot find the given id',
    );
    assert.equal((await getArtifact(id)).uri, '/u', 'the first update of the failed batch must be rolled back');
    await expectStatus(c.putArtifacts({ artifacts: [{ id, typeId: allKindsTypeId }] }), status.INVALID_ARGUMENT);
    await expectStatus(c.putExecutions({ executions: [{ id: 99_999_999n }] }), status.INVALID_ARGUMENT);
    await expectStatus(c.putContexts({ contexts: [{ id: 99_999_999n, name: 'x' }] }), status.INVALID_ARGUMENT);
  });

  it('update mask: properties.k paths upsert or delete only the named keys', async () => {
    const id = await putArtifact({
      uri: '/m',
      properties: { p_int: intValue(1), p_string: stringValue('s'), p_double: doubleValue(1.5) },
      customProperties: { c1: intValue(1), c2: intValue(2) },
    });
    await c.putArtifacts({
      artifacts: [
        {
          id,
          uri: '/ignored',
          properties: { p_int: intValue(10), p_string: stringValue('ignored') },
          customProperties: { c3: intValue(3) },
        },
      ],
      updateMask: ['properties.p_int', 'properties.p_double', 'custom_properties.c1', 'custom_properties.c3'],
    });
    const a = await getArtifact(id);
    assert.equal(a.uri, '/m', 'uri is not in the mask');
    assert.deepEqual(plain(a.properties), { p_int: intValue(10), p_string: stringValue('s') });
    assert.deepEqual(plain(a.customProperties), { c2: intValue(2), c3: intValue(3) });
  });

  it('update mask: bare `properties` replaces the whole map; field paths copy fields', async () => {
    const ext = uniq('ext');
    const id = await putArtifact({
      uri: '/m2',
      state: Artifact_State.PENDING,
      properties: { p_int: intValue(1), p_string: stringValue('s') },
      customProperties: { c1: intValue(1) },
    });
    await c.putArtifacts({
      artifacts: [{ id, uri: '/new', externalId: ext, properties: { p_double: doubleValue(2) }, customProperties: {} }],
      updateMask: ['properties', 'uri', 'external_id'],
    });
    const a = await getArtifact(id);
    assert.equal(a.uri, '/new');
    assert.equal(a.externalId, ext);
    assert.equal(a.state, Artifact_State.PENDING);
    assert.deepEqual(plain(a.properties), { p_double: doubleValue(2) });
    assert.deepEqual(plain(a.customProperties), { c1: intValue(1) });
    // A masked state path copies the request's value.
    await c.putArtifacts({ artifacts: [{ id, state: Artifact_State.DELETED }], updateMask: ['state'] });
    const b = await getArtifact(id);
    assert.equal(b.state, Artifact_State.DELETED);
    assert.equal(b.uri, '/new');
    assert.equal(b.externalId, ext);
  });

  it('update mask: junk, empty and nested paths are ignored and change nothing', async () => {
    const id = await putArtifact({
      uri: '/j',
      properties: { p_int: intValue(1) },
      customProperties: { c: intValue(1) },
    });
    const a = await getArtifact(id);
    clock.advance(5);
    await c.putArtifacts({
      artifacts: [{ id, uri: '/other', properties: {}, customProperties: {} }],
      updateMask: ['', 'an_invalid_field_path_having_no_effect', 'uri.x', 'a.b.c'],
    });
    const b = await getArtifact(id);
    assert.deepEqual(plain(b), plain(a));
  });

  it('update mask is ignored for inserts', async () => {
    const r = await c.putArtifacts({
      artifacts: [
        {
          typeId: artifactTypeId,
          uri: '/ins',
          properties: { p_int: intValue(3) },
          customProperties: { k: intValue(4) },
        },
      ],
      updateMask: ['external_id'],
    });
    const a = await getArtifact(r.artifactIds[0]!);
    assert.equal(a.uri, '/ins');
    assert.deepEqual(plain(a.properties), { p_int: intValue(3) });
    assert.deepEqual(plain(a.customProperties), { k: intValue(4) });
  });

  it('update mask on executions and contexts; contexts can be renamed', async () => {
    const eid = (
      await c.putExecutions({
        executions: [
          { typeId: executionTypeId, lastKnownState: Execution_State.NEW, properties: { p_int: intValue(1) } },
        ],
      })
    ).executionIds[0]!;
    await c.putExecutions({
      executions: [{ id: eid, lastKnownState: Execution_State.COMPLETE }],
      updateMask: ['last_known_state'],
    });
    const e = await getExecution(eid);
    assert.equal(e.lastKnownState, Execution_State.COMPLETE);
    assert.deepEqual(plain(e.properties), { p_int: intValue(1) });

    const cid = (
      await c.putContexts({
        contexts: [{ typeId: contextTypeId, name: uniq('rn'), properties: { p_int: intValue(1) } }],
      })
    ).contextIds[0]!;
    const renamed = uniq('renamed');
    await c.putContexts({ contexts: [{ id: cid, name: renamed }], updateMask: ['name'] });
    const x = await getContext(cid);
    assert.equal(x.name, renamed);
    assert.deepEqual(plain(x.properties), { p_int: intValue(1) });
    const full = uniq('full');
    await c.putContexts({ contexts: [{ id: cid, name: full }] });
    const y = await getContext(cid);
    assert.equal(y.name, full);
    assert.deepEqual(plain(y.properties), {});
    await expectStatus(c.putContexts({ contexts: [{ id: cid }] }), status.INVALID_ARGUMENT);
    assert.equal((await getContext(cid)).name, full);
  });

  it('abort_if_latest_updated_time_changed: stale time FAILED_PRECONDITION, current time updates', async () => {
    const id = await putArtifact({ uri: '/t0' });
    const a = await getArtifact(id);
    await expectStatus(
      c.putArtifacts({
        artifacts: [{ ...a, uri: '/t1', lastUpdateTimeSinceEpoch: a.lastUpdateTimeSinceEpoch! - 1n }],
        options: { abortIfLatestUpdatedTimeChanged: true },
      }),
      status.FAILED_PRECONDITION,
    );
    assert.equal((await getArtifact(id)).uri, '/t0');
    await c.putArtifacts({ artifacts: [{ ...a, uri: '/t1' }], options: { abortIfLatestUpdatedTimeChanged: true } });
    const b = await getArtifact(id);
    assert.equal(b.uri, '/t1');
    assert.ok(b.lastUpdateTimeSinceEpoch! > a.lastUpdateTimeSinceEpoch!, 'the new update time must be strictly larger');
    // Without the option a stale time is irrelevant.
    await c.putArtifacts({ artifacts: [{ ...a, uri: '/t2' }] });
    assert.equal((await getArtifact(id)).uri, '/t2');
  });

  // ---------------------------------------------------------------------------------------------- reads

  it('Get*ByID: duplicates collapse, unknown ids skipped, empty list OK', async () => {
    const a = await putArtifact({});
    const b = await putArtifact({});
    const got = (await c.getArtifactsById({ artifactIds: [b, a, b, 123_456_789n] })).artifacts.map((x) => x.id).sort();
    assert.deepEqual(got, [a, b].sort());
    assert.deepEqual((await c.getArtifactsById({ artifactIds: [] })).artifacts, []);
    assert.deepEqual((await c.getExecutionsById({ executionIds: [] })).executions, []);
    assert.deepEqual((await c.getContextsById({ contextIds: [987_654_321n] })).contexts, []);
  });

  it('populate_artifact_types returns the distinct types of the returned artifacts', async () => {
    const a = await putArtifact({});
    const b = (await c.putArtifacts({ artifacts: [{ typeId: allKindsTypeId }] })).artifactIds[0]!;
    const a2 = await putArtifact({});
    const r = await c.getArtifactsById({ artifactIds: [a, b, a2], populateArtifactTypes: true });
    assert.equal(r.artifacts.length, 3);
    const types = r.artifactTypes.map((t) => t.id).sort();
    assert.deepEqual(types, [artifactTypeId, allKindsTypeId].sort());
    const t = r.artifactTypes.find((x) => x.id === artifactTypeId)!;
    assert.equal(t.name, artifactTypeName);
    assert.deepEqual(t.properties, typeProps);
    for (const art of r.artifacts) assert.equal(art.type, r.artifactTypes.find((x) => x.id === art.typeId)!.name);
    assert.deepEqual((await c.getArtifactsById({ artifactIds: [a] })).artifactTypes, []);
  });

  it('Get*ByType: by name and version; unknown type is OK and empty', async () => {
    const typeName = uniq('bytype');
    const t1 = (await c.putArtifactType({ artifactType: { name: typeName } })).typeId!;
    const t2 = (await c.putArtifactType({ artifactType: { name: typeName, version: 'v2' } })).typeId!;
    const [a1] = (await c.putArtifacts({ artifacts: [{ typeId: t1 }] })).artifactIds;
    const [a2, a3] = (await c.putArtifacts({ artifacts: [{ typeId: t2 }, { typeId: t2 }] })).artifactIds;
    assert.deepEqual(
      (await c.getArtifactsByType({ typeName })).artifacts.map((a) => a.id),
      [a1],
    );
    assert.deepEqual(
      (await c.getArtifactsByType({ typeName, typeVersion: 'v2' })).artifacts.map((a) => a.id),
      [a2, a3],
    );
    assert.deepEqual((await c.getArtifactsByType({ typeName, typeVersion: 'v3' })).artifacts, []);
    assert.deepEqual((await c.getArtifactsByType({ typeName: 'no_such_type' })).artifacts, []);
    assert.deepEqual((await c.getExecutionsByType({ typeName: 'no_such_type' })).executions, []);
    assert.deepEqual((await c.getContextsByType({ typeName: 'no_such_type' })).contexts, []);
  });

  it('Get*ByTypeAndName: the node field is unset when the type or the name is unknown', async () => {
    const name = uniq('tan');
    const id = await putArtifact({ name });
    const found = await c.getArtifactByTypeAndName({ typeName: artifactTypeName, artifactName: name });
    assert.equal(found.artifact?.id, id);
    assert.equal(found.artifact?.type, artifactTypeName);
    for (const req of [
      { typeName: artifactTypeName, artifactName: 'missing' },
      { typeName: 'missing_type', artifactName: name },
      { typeName: artifactTypeName, typeVersion: 'v9', artifactName: name },
      { typeName: artifactTypeName },
    ]) {
      const r = await c.getArtifactByTypeAndName(req);
      assert.equal(r.artifact, undefined, JSON.stringify(req));
      assert.deepEqual(presentKeys(r), []);
    }
    assert.equal(
      (await c.getExecutionByTypeAndName({ typeName: 'node_execution_type', executionName: 'missing' })).execution,
      undefined,
    );
    assert.equal(
      (await c.getContextByTypeAndName({ typeName: 'node_context_type', contextName: 'missing' })).context,
      undefined,
    );
  });

  it('GetArtifactsByURI: several uris, duplicates collapsed, "" finds artifacts without uri, unknown empty', async () => {
    const u1 = `/uri/${uniq('u')}`;
    const u2 = `/uri/${uniq('u')}`;
    const [a, b, d] = (
      await c.putArtifacts({
        artifacts: [
          { typeId: artifactTypeId, uri: u1 },
          { typeId: artifactTypeId, uri: u1 },
          { typeId: artifactTypeId, uri: u2 },
        ],
      })
    ).artifactIds;
    const got = (await c.getArtifactsByUri({ uris: [u2, u1, u1] })).artifacts.map((x) => x.id!);
    assert.deepEqual([...got].sort(), [a!, b!, d!].sort());
    assert.equal(new Set(got).size, got.length, 'each artifact once');
    assert.deepEqual((await c.getArtifactsByUri({ uris: ['/never/used'] })).artifacts, []);
    assert.deepEqual((await c.getArtifactsByUri({ uris: [] })).artifacts, []);
    const noUri = await putArtifact({});
    assert.ok((await c.getArtifactsByUri({ uris: [''] })).artifacts.some((x) => x.id === noUri));
  });

  it('GetArtifactsByURI with the deprecated field 1 is INVALID_ARGUMENT', async () => {
    const payload = Buffer.from('/old/uri');
    await expectStatus(
      c.getArtifactsByUri({ _unknownFields: { 10: [Buffer.concat([Buffer.from([payload.length]), payload])] } }),
      status.INVALID_ARGUMENT,
      'The request contains deprecated field',
    );
  });

  it('Get*ByExternalIds: zero hits NOT_FOUND, partial OK, "" INVALID_ARGUMENT, empty list OK', async () => {
    const e1 = uniq('ne');
    const id = await putArtifact({ externalId: e1 });
    assert.deepEqual(
      (await c.getArtifactsByExternalIds({ externalIds: ['zz', e1, e1] })).artifacts.map((a) => a.id),
      [id],
    );
    await expectStatus(c.getArtifactsByExternalIds({ externalIds: ['zz'] }), status.NOT_FOUND);
    await expectStatus(c.getArtifactsByExternalIds({ externalIds: [''] }), status.INVALID_ARGUMENT);
    await expectStatus(c.getExecutionsByExternalIds({ externalIds: [''] }), status.INVALID_ARGUMENT);
    await expectStatus(c.getContextsByExternalIds({ externalIds: ['zz'] }), status.NOT_FOUND);
    assert.deepEqual((await c.getArtifactsByExternalIds({ externalIds: [] })).artifacts, []);
  });

  it('GetArtifacts/GetExecutions/GetContexts without options return everything in ascending id order', async () => {
    const all = (await c.getArtifacts({})).artifacts.map((a) => a.id!);
    assert.ok(all.length > 20, 'more than one default page exists by now');
    assert.deepEqual(
      all,
      [...all].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
    );
    const r = await c.getArtifacts({});
    assert.equal(r.nextPageToken, undefined);
  });
});

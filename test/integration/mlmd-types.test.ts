/**
 * Type upserts and type reads through real gRPC against a real SQLite file (spec mlmd-rpc §1.1, §1.2, §2).
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  ArtifactType_SystemDefinedBaseType as ArtifactBase,
  ContextType_SystemDefinedBaseType as ContextBase,
  ExecutionType_SystemDefinedBaseType as ExecutionBase,
  PropertyType,
  type ArtifactStructType,
  type ArtifactType,
} from '../../generated/ml_metadata/proto/metadata_store';
import type { MlmdClient } from '../../src/client';
import { expectStatus, plain, presentKeys, status, uniq } from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';

const SIMPLE_ARTIFACT_TYPES = ['mlmd.Dataset', 'mlmd.Model', 'mlmd.Metrics', 'mlmd.Statistics'];
const SIMPLE_EXECUTION_TYPES = ['mlmd.Train', 'mlmd.Transform', 'mlmd.Process', 'mlmd.Evaluate', 'mlmd.Deploy'];

describe('MLMD types over gRPC', () => {
  let ts: TestServer;
  let c: MlmdClient;

  before(async () => {
    ts = await startTestServer();
    c = ts.client;
  });
  after(async () => {
    await ts?.stop();
  });

  async function putArtifactType(type: ArtifactType, flags: { canAddFields?: boolean; canOmitFields?: boolean } = {}) {
    const r = await c.putArtifactType({ artifactType: type, ...flags });
    assert.equal(typeof r.typeId, 'bigint');
    return r.typeId!;
  }

  it('gives the first user type id 10 (the 9 simple types take ids 1-9)', async () => {
    const id = await putArtifactType({ name: 'first_type' });
    assert.equal(id, 10n);
  });

  it('creates a type and reads it back with exactly the stored fields', async () => {
    const name = uniq('create');
    const id = await putArtifactType({
      name,
      properties: { p_int: PropertyType.INT, p_double: PropertyType.DOUBLE, p_str: PropertyType.STRING },
    });
    const got = (await c.getArtifactType({ typeName: name })).artifactType!;
    assert.deepEqual(plain(got), {
      id,
      name,
      properties: { p_int: PropertyType.INT, p_double: PropertyType.DOUBLE, p_str: PropertyType.STRING },
    });
    // version, description, external_id and base_type are absent, not zero values.
    assert.deepEqual(presentKeys(got), ['id', 'name', 'properties']);
  });

  it('re-putting the same type returns the same id, and ignores the request id', async () => {
    const name = uniq('same');
    const t = { name, properties: { a: PropertyType.INT } };
    const id = await putArtifactType(t);
    assert.equal(await putArtifactType(t), id);
    assert.equal(await putArtifactType({ ...t, id: 123456n }), id);
  });

  it('can_add_fields: adding a property needs the flag; the type keeps its id', async () => {
    const name = uniq('add');
    const id = await putArtifactType({ name, properties: { a: PropertyType.INT } });
    await expectStatus(
      c.putArtifactType({ artifactType: { name, properties: { a: PropertyType.INT, b: PropertyType.STRING } } }),
      status.ALREADY_EXISTS,
      'Type already exists with different properties',
    );
    // The failed put changed nothing.
    assert.deepEqual((await c.getArtifactType({ typeName: name })).artifactType!.properties, { a: PropertyType.INT });
    const again = await putArtifactType(
      { name, properties: { a: PropertyType.INT, b: PropertyType.STRING } },
      { canAddFields: true },
    );
    assert.equal(again, id);
    assert.deepEqual((await c.getArtifactType({ typeName: name })).artifactType!.properties, {
      a: PropertyType.INT,
      b: PropertyType.STRING,
    });
  });

  it('can_omit_fields: omitting a stored property needs the flag and never deletes it', async () => {
    const name = uniq('omit');
    const id = await putArtifactType({ name, properties: { a: PropertyType.INT, b: PropertyType.DOUBLE } });
    await expectStatus(
      c.putArtifactType({ artifactType: { name, properties: { a: PropertyType.INT } } }),
      status.ALREADY_EXISTS,
    );
    assert.equal(await putArtifactType({ name, properties: { a: PropertyType.INT } }, { canOmitFields: true }), id);
    assert.equal(await putArtifactType({ name }, { canOmitFields: true }), id);
    assert.deepEqual((await c.getArtifactType({ typeName: name })).artifactType!.properties, {
      a: PropertyType.INT,
      b: PropertyType.DOUBLE,
    });
  });

  it('both flags give the union of stored and requested properties', async () => {
    const name = uniq('union');
    const id = await putArtifactType({ name, properties: { a: PropertyType.INT } });
    await expectStatus(
      c.putArtifactType({ artifactType: { name, properties: { b: PropertyType.INT } }, canAddFields: true }),
      status.ALREADY_EXISTS,
    );
    await expectStatus(
      c.putArtifactType({ artifactType: { name, properties: { b: PropertyType.INT } }, canOmitFields: true }),
      status.ALREADY_EXISTS,
    );
    assert.equal(
      await putArtifactType({ name, properties: { b: PropertyType.INT } }, { canAddFields: true, canOmitFields: true }),
      id,
    );
    assert.deepEqual((await c.getArtifactType({ typeName: name })).artifactType!.properties, {
      a: PropertyType.INT,
      b: PropertyType.INT,
    });
  });

  it('changing a property data type is ALREADY_EXISTS whatever the flags', async () => {
    const name = uniq('change');
    await putArtifactType({ name, properties: { a: PropertyType.INT } });
    for (const flags of [
      {},
      { canAddFields: true },
      { canOmitFields: true },
      { canAddFields: true, canOmitFields: true },
    ]) {
      await expectStatus(
        c.putArtifactType({ artifactType: { name, properties: { a: PropertyType.STRING } }, ...flags }),
        status.ALREADY_EXISTS,
        'Type already exists with different properties',
      );
    }
    assert.deepEqual((await c.getArtifactType({ typeName: name })).artifactType!.properties, { a: PropertyType.INT });
  });

  it('execution and context types follow the same upsert rules', async () => {
    const name = uniq('kinds');
    const e = (await c.putExecutionType({ executionType: { name, properties: { a: PropertyType.INT } } })).typeId!;
    const x = (await c.putContextType({ contextType: { name, properties: { a: PropertyType.INT } } })).typeId!;
    assert.notEqual(e, x);
    await expectStatus(
      c.putExecutionType({ executionType: { name, properties: { a: PropertyType.INT, b: PropertyType.INT } } }),
      status.ALREADY_EXISTS,
    );
    await expectStatus(c.putContextType({ contextType: { name, properties: {} } }), status.ALREADY_EXISTS);
    assert.equal(
      (
        await c.putContextType({
          contextType: { name, properties: { b: PropertyType.STRING } },
          canAddFields: true,
          canOmitFields: true,
        })
      ).typeId,
      x,
    );
    assert.deepEqual(plain((await c.getContextType({ typeName: name })).contextType), {
      id: x,
      name,
      properties: { a: PropertyType.INT, b: PropertyType.STRING },
    });
    assert.deepEqual(plain((await c.getExecutionType({ typeName: name })).executionType), {
      id: e,
      name,
      properties: { a: PropertyType.INT },
    });
  });

  it('the same name is independent across artifact, execution and context kinds', async () => {
    const name = uniq('shared');
    const a = await putArtifactType({ name, properties: { x: PropertyType.INT } });
    const e = (await c.putExecutionType({ executionType: { name, properties: { y: PropertyType.STRING } } })).typeId!;
    const x = (await c.putContextType({ contextType: { name } })).typeId!;
    assert.equal(new Set([a, e, x]).size, 3);
    assert.deepEqual((await c.getExecutionType({ typeName: name })).executionType!.properties, {
      y: PropertyType.STRING,
    });
  });

  it('versions: (name, version) is the identity and "" means unversioned', async () => {
    const name = uniq('ver');
    const unversioned = await putArtifactType({ name, properties: { a: PropertyType.INT } });
    const v1 = await putArtifactType({ name, version: 'v1', properties: { b: PropertyType.STRING } });
    const v2 = await putArtifactType({ name, version: 'v2', properties: { c: PropertyType.DOUBLE } });
    assert.equal(new Set([unversioned, v1, v2]).size, 3);

    // "" is the same identity as no version: same id, same properties rules.
    assert.equal(await putArtifactType({ name, version: '', properties: { a: PropertyType.INT } }), unversioned);
    await expectStatus(
      c.putArtifactType({ artifactType: { name, version: '', properties: { b: PropertyType.STRING } } }),
      status.ALREADY_EXISTS,
    );

    const byName = (await c.getArtifactType({ typeName: name })).artifactType!;
    assert.equal(byName.id, unversioned);
    assert.equal(byName.version, undefined, 'version "" must be stored as unset');
    assert.equal((await c.getArtifactType({ typeName: name, typeVersion: '' })).artifactType!.id, unversioned);

    const gotV1 = (await c.getArtifactType({ typeName: name, typeVersion: 'v1' })).artifactType!;
    assert.deepEqual(plain(gotV1), { id: v1, name, version: 'v1', properties: { b: PropertyType.STRING } });
    // Versions evolve independently.
    assert.equal(
      await putArtifactType(
        { name, version: 'v2', properties: { c: PropertyType.DOUBLE, d: PropertyType.INT } },
        { canAddFields: true },
      ),
      v2,
    );
    assert.deepEqual((await c.getArtifactType({ typeName: name, typeVersion: 'v2' })).artifactType!.properties, {
      c: PropertyType.DOUBLE,
      d: PropertyType.INT,
    });
    assert.deepEqual((await c.getArtifactType({ typeName: name, typeVersion: 'v1' })).artifactType!.properties, {
      b: PropertyType.STRING,
    });
    await expectStatus(c.getArtifactType({ typeName: name, typeVersion: 'v3' }), status.NOT_FOUND);
  });

  it('a name that exists only with versions is not found without a version', async () => {
    const name = uniq('only_versioned');
    await putArtifactType({ name, version: '1.0' });
    await expectStatus(c.getArtifactType({ typeName: name }), status.NOT_FOUND, 'No type found for query');
    await expectStatus(c.getArtifactType({ typeName: name, typeVersion: '' }), status.NOT_FOUND);
  });

  it('description and version are written on create and never updated', async () => {
    const name = uniq('desc');
    const id = await putArtifactType({ name, version: 'v', description: 'first' });
    assert.equal(await putArtifactType({ name, version: 'v', description: 'second' }), id);
    const got = (await c.getArtifactType({ typeName: name, typeVersion: 'v' })).artifactType!;
    assert.deepEqual(plain(got), { id, name, version: 'v', description: 'first', properties: {} });
  });

  it('base_type: create with a base type, keep on re-put without it, same is a no-op', async () => {
    const name = uniq('base');
    const id = await putArtifactType({ name, baseType: ArtifactBase.DATASET });
    assert.equal((await c.getArtifactType({ typeName: name })).artifactType!.baseType, ArtifactBase.DATASET);
    assert.equal(await putArtifactType({ name }), id);
    assert.equal((await c.getArtifactType({ typeName: name })).artifactType!.baseType, ArtifactBase.DATASET);
    assert.equal(await putArtifactType({ name, baseType: ArtifactBase.DATASET }), id);
    const byId = (await c.getArtifactTypesById({ typeIds: [id] })).artifactTypes;
    assert.equal(byId[0]!.baseType, ArtifactBase.DATASET);
    const listed = (await c.getArtifactTypes({})).artifactTypes.find((t) => t.id === id)!;
    assert.equal(listed.baseType, ArtifactBase.DATASET);
  });

  it('base_type: a different base type is UNIMPLEMENTED and the link is unchanged', async () => {
    const name = uniq('base_diff');
    await putArtifactType({ name, baseType: ArtifactBase.MODEL });
    await expectStatus(
      c.putArtifactType({ artifactType: { name, baseType: ArtifactBase.METRICS } }),
      status.UNIMPLEMENTED,
      'base_type update is not supported yet',
    );
    assert.equal((await c.getArtifactType({ typeName: name })).artifactType!.baseType, ArtifactBase.MODEL);
  });

  it('base_type: UNSET on an existing type is UNIMPLEMENTED (deletion)', async () => {
    const name = uniq('base_unset');
    await putArtifactType({ name, baseType: ArtifactBase.STATISTICS });
    await expectStatus(
      c.putArtifactType({ artifactType: { name, baseType: ArtifactBase.UNSET } }),
      status.UNIMPLEMENTED,
      'base_type deletion is not supported yet',
    );
    assert.equal((await c.getArtifactType({ typeName: name })).artifactType!.baseType, ArtifactBase.STATISTICS);
  });

  it('base_type: UNSET on a new type is UNIMPLEMENTED and the create is rolled back', async () => {
    const name = uniq('base_unset_new');
    await expectStatus(
      c.putArtifactType({ artifactType: { name, baseType: ArtifactBase.UNSET } }),
      status.UNIMPLEMENTED,
      'base_type deletion is not supported yet',
    );
    await expectStatus(c.getArtifactType({ typeName: name }), status.NOT_FOUND);
  });

  it('base_type on execution types; a context type base_type is always UNIMPLEMENTED', async () => {
    const name = uniq('exec_base');
    const id = (await c.putExecutionType({ executionType: { name, baseType: ExecutionBase.TRAIN } })).typeId!;
    assert.equal((await c.getExecutionType({ typeName: name })).executionType!.baseType, ExecutionBase.TRAIN);
    assert.equal((await c.putExecutionType({ executionType: { name } })).typeId, id);
    await expectStatus(
      c.putExecutionType({ executionType: { name, baseType: ExecutionBase.DEPLOY } }),
      status.UNIMPLEMENTED,
      'base_type update is not supported yet',
    );
    await expectStatus(
      c.putContextType({ contextType: { name: uniq('ctx_base'), baseType: ContextBase.UNSET } }),
      status.UNIMPLEMENTED,
    );
  });

  it('external_id: settable on create and on re-put, kept when absent', async () => {
    const name = uniq('ext');
    const ext = uniq('ext_id');
    const id = await putArtifactType({ name, properties: { a: PropertyType.INT } });
    await expectStatus(c.getArtifactTypesByExternalIds({ externalIds: [ext] }), status.NOT_FOUND);
    assert.equal(
      await putArtifactType({ name, externalId: ext, properties: { a: PropertyType.INT } }, { canAddFields: true }),
      id,
    );
    const found = (await c.getArtifactTypesByExternalIds({ externalIds: [ext] })).artifactTypes;
    assert.deepEqual(plain(found), [{ id, name, externalId: ext, properties: { a: PropertyType.INT } }]);
    assert.equal(await putArtifactType({ name, properties: { a: PropertyType.INT } }), id);
    assert.equal((await c.getArtifactType({ typeName: name })).artifactType!.externalId, ext);
    assert.equal((await c.getArtifactTypesById({ typeIds: [id] })).artifactTypes[0]!.externalId, ext);

    // Execution and context types too.
    const en = uniq('ext_exec');
    const ee = uniq('ext_exec_id');
    const eid = (await c.putExecutionType({ executionType: { name: en } })).typeId!;
    await c.putExecutionType({ executionType: { name: en, externalId: ee } });
    assert.equal((await c.getExecutionTypesByExternalIds({ externalIds: [ee] })).executionTypes[0]!.id, eid);
    const cn = uniq('ext_ctx');
    const ce = uniq('ext_ctx_id');
    const cid = (await c.putContextType({ contextType: { name: cn, externalId: ce } })).typeId!;
    assert.equal((await c.getContextTypesByExternalIds({ externalIds: [ce] })).contextTypes[0]!.id, cid);
  });

  it('Get*ByExternalIds: zero hits NOT_FOUND, partial hits OK, "" INVALID_ARGUMENT, empty list OK', async () => {
    const e1 = uniq('x1');
    const e2 = uniq('x2');
    const id1 = await putArtifactType({ name: uniq('bx1'), externalId: e1 });
    const id2 = await putArtifactType({ name: uniq('bx2'), externalId: e2 });
    await expectStatus(c.getArtifactTypesByExternalIds({ externalIds: ['nope', 'nope2'] }), status.NOT_FOUND);
    const some = (await c.getArtifactTypesByExternalIds({ externalIds: ['nope', e2, e1, e1] })).artifactTypes;
    assert.deepEqual(some.map((t) => t.id).sort(), [id1, id2].sort());
    await expectStatus(c.getArtifactTypesByExternalIds({ externalIds: [e1, ''] }), status.INVALID_ARGUMENT);
    await expectStatus(c.getExecutionTypesByExternalIds({ externalIds: [''] }), status.INVALID_ARGUMENT);
    await expectStatus(c.getContextTypesByExternalIds({ externalIds: [''] }), status.INVALID_ARGUMENT);
    assert.deepEqual((await c.getArtifactTypesByExternalIds({ externalIds: [] })).artifactTypes, []);
    await expectStatus(c.getExecutionTypesByExternalIds({ externalIds: [e1] }), status.NOT_FOUND);
  });

  it('a duplicate type external_id is an error and changes nothing', async () => {
    const ext = uniq('dup_ext');
    await putArtifactType({ name: uniq('dx1'), externalId: ext });
    const name = uniq('dx2');
    const err = await c.putArtifactType({ artifactType: { name, externalId: ext } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err, 'a second type with the same external_id must fail');
    await expectStatus(c.getArtifactType({ typeName: name }), status.NOT_FOUND);
  });

  it('Get*Types hide the 9 simple types, which are still visible by name and by id', async () => {
    const artifactNames = (await c.getArtifactTypes({})).artifactTypes.map((t) => t.name!);
    const executionNames = (await c.getExecutionTypes({})).executionTypes.map((t) => t.name!);
    for (const n of [...SIMPLE_ARTIFACT_TYPES, ...SIMPLE_EXECUTION_TYPES]) {
      assert.ok(!artifactNames.includes(n) && !executionNames.includes(n), `${n} must be hidden`);
    }
    const ids: bigint[] = [];
    for (const n of SIMPLE_ARTIFACT_TYPES) {
      const t = (await c.getArtifactType({ typeName: n })).artifactType!;
      assert.equal(t.name, n);
      assert.deepEqual(t.properties, {});
      ids.push(t.id!);
    }
    for (const n of SIMPLE_EXECUTION_TYPES) ids.push((await c.getExecutionType({ typeName: n })).executionType!.id!);
    assert.deepEqual(ids, [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    assert.deepEqual(
      (await c.getArtifactTypesById({ typeIds: [1n, 2n, 3n, 4n] })).artifactTypes.map((t) => t.name),
      SIMPLE_ARTIFACT_TYPES,
    );
    // They are artifact/execution types, not context types.
    await expectStatus(c.getContextType({ typeName: 'mlmd.Dataset' }), status.NOT_FOUND);
    assert.deepEqual((await c.getExecutionTypesById({ typeIds: [1n] })).executionTypes, []);
  });

  it('Get*Types returns user types with exactly their stored fields', async () => {
    const name = uniq('listed');
    const id = await putArtifactType({ name, properties: { p: PropertyType.BOOLEAN, q: PropertyType.PROTO } });
    const listed = (await c.getArtifactTypes({})).artifactTypes.filter((t) => t.name === name);
    assert.deepEqual(plain(listed), [{ id, name, properties: { p: PropertyType.BOOLEAN, q: PropertyType.PROTO } }]);
    const ctxName = uniq('listed_ctx');
    const cid = (await c.putContextType({ contextType: { name: ctxName, properties: { s: PropertyType.STRUCT } } }))
      .typeId!;
    const ctxListed = (await c.getContextTypes({})).contextTypes.filter((t) => t.name === ctxName);
    assert.deepEqual(plain(ctxListed), [{ id: cid, name: ctxName, properties: { s: PropertyType.STRUCT } }]);
  });

  it('Get*TypesById: request order, duplicates repeated, unknown and other-kind ids skipped', async () => {
    const a = await putArtifactType({ name: uniq('byid_a') });
    const b = await putArtifactType({ name: uniq('byid_b') });
    const e = (await c.putExecutionType({ executionType: { name: uniq('byid_e') } })).typeId!;
    const got = (await c.getArtifactTypesById({ typeIds: [b, 999_999n, a, b, e] })).artifactTypes;
    assert.deepEqual(
      got.map((t) => t.id),
      [b, a, b],
    );
    assert.deepEqual((await c.getArtifactTypesById({ typeIds: [] })).artifactTypes, []);
    assert.deepEqual(
      (await c.getExecutionTypesById({ typeIds: [a, e, e] })).executionTypes.map((t) => t.id),
      [e, e],
    );
    assert.deepEqual((await c.getContextTypesById({ typeIds: [a, e] })).contextTypes, []);
  });

  it('Get*Type of an unknown name is NOT_FOUND; Get*Types never fails', async () => {
    await expectStatus(c.getArtifactType({ typeName: 'does_not_exist' }), status.NOT_FOUND, 'No type found for query');
    await expectStatus(c.getExecutionType({ typeName: 'does_not_exist' }), status.NOT_FOUND);
    await expectStatus(c.getContextType({ typeName: 'does_not_exist' }), status.NOT_FOUND);
    assert.ok(Array.isArray((await c.getContextTypes({})).contextTypes));
  });

  it('invalid type puts: no name, UNKNOWN property type, all_fields_match=false', async () => {
    await expectStatus(
      c.putArtifactType({ artifactType: { properties: { a: PropertyType.INT } } }),
      status.INVALID_ARGUMENT,
    );
    await expectStatus(c.putArtifactType({}), status.INVALID_ARGUMENT);
    await expectStatus(c.putExecutionType({ executionType: { name: '' } }), status.INVALID_ARGUMENT);
    const name = uniq('unknown_prop');
    await expectStatus(
      c.putArtifactType({ artifactType: { name, properties: { a: PropertyType.UNKNOWN } } }),
      status.INVALID_ARGUMENT,
    );
    await expectStatus(c.getArtifactType({ typeName: name }), status.NOT_FOUND);
    await expectStatus(
      c.putArtifactType({ artifactType: { name: uniq('afm') }, allFieldsMatch: false }),
      status.UNIMPLEMENTED,
    );
    // Explicit true is fine.
    await c.putArtifactType({ artifactType: { name: uniq('afm_true') }, allFieldsMatch: true });
  });

  it('input_type / output_type are stored as sent; an enum value MLMD does not know is INVALID_ARGUMENT naming the field', async () => {
    const inputType: ArtifactStructType = {
      kind: {
        $case: 'simple',
        value: { name: 'in', baseType: ArtifactBase.DATASET, properties: { k: PropertyType.INT } },
      },
    };
    const name = uniq('io');
    const typeId = (
      await c.putExecutionType({
        executionType: { name, inputType, outputType: { kind: { $case: 'any', value: {} } } },
      })
    ).typeId!;
    const [stored] = (await c.getExecutionTypesById({ typeIds: [typeId] })).executionTypes;
    assert.deepEqual(plain(stored.inputType), plain(inputType));
    // The JSON MLMD stores would hold "UNRECOGNIZED", which neither we nor the ml-metadata package can read back
    // (found by the fuzz suite).
    const unknownBase: ArtifactStructType = {
      kind: { $case: 'simple', value: { name: 'in', baseType: 99 as ArtifactBase } },
    };
    await expectStatus(
      c.putExecutionType({ executionType: { name: uniq('io'), inputType: unknownBase } }),
      status.INVALID_ARGUMENT,
      'input_type holds an unknown base_type 99',
    );
    const unknownProperty: ArtifactStructType = {
      kind: {
        $case: 'list',
        value: { element: { kind: { $case: 'simple', value: { properties: { k: 77 as PropertyType } } } } },
      },
    };
    await expectStatus(
      c.putExecutionType({ executionType: { name: uniq('io'), outputType: unknownProperty } }),
      status.INVALID_ARGUMENT,
      'output_type holds an unknown property type 77',
    );
  });

  it('PutTypes: index-aligned ids, repeated (name, version) gets the same id, all-or-nothing', async () => {
    const an = uniq('pt_a');
    const en = uniq('pt_e');
    const cn = uniq('pt_c');
    const r = await c.putTypes({
      artifactTypes: [
        { name: an, properties: { a: PropertyType.INT } },
        { name: an, properties: { a: PropertyType.INT } },
      ],
      executionTypes: [{ name: en }],
      contextTypes: [{ name: cn }],
    });
    assert.equal(r.artifactTypeIds.length, 2);
    assert.equal(r.artifactTypeIds[0], r.artifactTypeIds[1]);
    assert.equal(r.executionTypeIds.length, 1);
    assert.equal(r.contextTypeIds.length, 1);
    assert.equal((await c.getContextType({ typeName: cn })).contextType!.id, r.contextTypeIds[0]);

    const okName = uniq('pt_ok');
    await expectStatus(
      c.putTypes({
        artifactTypes: [{ name: okName }, { name: an, properties: { a: PropertyType.STRING } }],
      }),
      status.ALREADY_EXISTS,
    );
    await expectStatus(c.getArtifactType({ typeName: okName }), status.NOT_FOUND);
    assert.deepEqual(plain(await c.putTypes({})), { artifactTypeIds: [], executionTypeIds: [], contextTypeIds: [] });
  });
});

/**
 * Malformed input never crashes the server, and errors reach the SDK as MlmdClientError with the gRPC code and
 * the server's message (spec mlmd-rpc §0.2, §0.3, §3.4, §10.1).
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as grpc from '@grpc/grpc-js';

import { PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';
import { MLMD_METHOD_NAMES, MlmdClient, MlmdClientError, statusName } from '../../src/client';
import { rawUnaryCall } from '../helpers/grpc-probes';
import { expectStatus, intValue, status, uniq } from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';

/** Protobuf length-delimited field: tag (field, wire type 2), varint length, bytes. */
function lengthDelimited(field: number, payload: Buffer): Buffer {
  const varint = (n: number): Buffer => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  return Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);
}

describe('MLMD malformed input and client errors over gRPC', () => {
  let ts: TestServer;
  let c: MlmdClient;
  let raw: grpc.Client;
  let at: bigint;

  before(async () => {
    ts = await startTestServer();
    c = ts.client;
    raw = new grpc.Client(ts.address, grpc.credentials.createInsecure());
    at = (await c.putArtifactType({ artifactType: { name: 'err_type', properties: { p: PropertyType.INT } } })).typeId!;
  });
  after(async () => {
    raw?.close();
    await ts?.stop();
  });

  async function serverStillAnswers(): Promise<void> {
    const r = await c.getArtifactType({ typeName: 'err_type' });
    assert.equal(r.artifactType?.id, at);
  }

  it('a custom property Value with no case is INVALID_ARGUMENT naming the property (no crash)', async () => {
    const e0 = await expectStatus(
      c.putArtifacts({ artifacts: [{ typeId: at, customProperties: { empty_value_prop: {} } }] }),
      status.INVALID_ARGUMENT,
    );
    assert.ok(e0.details.includes('empty_value_prop'), e0.details);
    await serverStillAnswers();
    const et = (await c.putExecutionType({ executionType: { name: 'err_exec' } })).typeId!;
    const ct = (await c.putContextType({ contextType: { name: 'err_ctx' } })).typeId!;
    const e1 = await expectStatus(
      c.putExecutions({ executions: [{ typeId: et, customProperties: { bad_exec_prop: {} } }] }),
      status.INVALID_ARGUMENT,
    );
    assert.ok(e1.details.includes('bad_exec_prop'), e1.details);
    const e2 = await expectStatus(
      c.putContexts({ contexts: [{ typeId: ct, name: uniq('c'), customProperties: { bad_ctx_prop: {} } }] }),
      status.INVALID_ARGUMENT,
    );
    assert.ok(e2.details.includes('bad_ctx_prop'), e2.details);
    // On update too, and nothing is written.
    const [id] = (await c.putArtifacts({ artifacts: [{ typeId: at, customProperties: { ok: intValue(1) } }] }))
      .artifactIds;
    const e3 = await expectStatus(
      c.putArtifacts({ artifacts: [{ id, customProperties: { ok: intValue(2), bad_update_prop: {} } }] }),
      status.INVALID_ARGUMENT,
    );
    assert.ok(e3.details.includes('bad_update_prop'), e3.details);
    const [stored] = (await c.getArtifactsById({ artifactIds: [id!] })).artifacts;
    assert.deepEqual(Object.keys(stored!.customProperties!), ['ok']);
    assert.equal(stored!.customProperties!.ok!.value?.value, 1n);
    await serverStillAnswers();
  });

  it('garbage bytes as a request give a gRPC error and the server keeps answering', async () => {
    const bodies = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
      Buffer.from([0x0a, 0x7f, 0x01]), // length-delimited field claiming 127 bytes, 1 present
      Buffer.from([0x08]), // tag without value
      Buffer.from([0x0f]), // wire type 7 (invalid)
    ];
    for (const method of ['PutArtifacts', 'GetArtifactsByID', 'PutArtifactType', 'GetArtifacts', 'PutExecution']) {
      for (const body of bodies) {
        const r = await rawUnaryCall(raw, `/ml_metadata.MetadataStoreService/${method}`, body);
        assert.ok('code' in r, `${method} accepted garbage ${body.toString('hex')}`);
        assert.notEqual(r.code, status.OK);
      }
    }
    await serverStillAnswers();
  });

  it('bytes that end the message early (end-group or zero tag at top level) are rejected, not read as empty', async () => {
    // Text such as "this is ..." starts with 0x74 = field 14, wire type 4 (END_GROUP); 0x00 is the invalid tag 0.
    // A proto2 parser fails on both; decoding them as an empty request would make GetArtifacts return everything.
    const bodies = [
      Buffer.from('this is not a protobuf message at all', 'utf8'),
      Buffer.from([0x00, 0x0a, 0x01, 0x41]),
      Buffer.from([0x0c]), // field 1, END_GROUP
    ];
    const accepted: string[] = [];
    for (const method of ['PutArtifacts', 'GetArtifacts', 'GetArtifactTypes']) {
      for (const body of bodies) {
        const r = await rawUnaryCall(raw, `/ml_metadata.MetadataStoreService/${method}`, body);
        if (!('code' in r) || r.code === status.OK) accepted.push(`${method} <- ${body.toString('hex')}`);
      }
    }
    assert.deepEqual(accepted, [], 'garbage must not be decoded as an empty request');
    await serverStillAnswers();
  });

  it('a truncated valid request gives a gRPC error and writes nothing', async () => {
    const { PutArtifactsRequest } = await import('../../generated/ml_metadata/proto/metadata_store_service');
    const full: Buffer = Buffer.from(
      PutArtifactsRequest.encode({ artifacts: [{ typeId: at, uri: '/truncated/' + 'x'.repeat(100) }] }).finish(),
    );
    const before = (await c.getArtifacts({})).artifacts.length;
    const r = await rawUnaryCall(
      raw,
      '/ml_metadata.MetadataStoreService/PutArtifacts',
      full.subarray(0, full.length - 10),
    );
    assert.ok('code' in r && r.code !== status.OK, 'a truncated request must fail');
    assert.equal((await c.getArtifacts({})).artifacts.length, before);
    // The untruncated bytes work through the same raw path.
    const ok = await rawUnaryCall(raw, '/ml_metadata.MetadataStoreService/PutArtifacts', full);
    assert.ok('reply' in ok);
  });

  it('a deeply nested Struct value is rejected or stored, never a crash', async () => {
    // Value{struct_value(4): Struct{fields(1): entry{key(1) "a", value(2): Value{...}}}} nested 5000 levels.
    let value: Buffer = Buffer.from([0x30, 0x01]); // Value{bool_value: true}
    for (let i = 0; i < 5000; i += 1) {
      const entry = Buffer.concat([lengthDelimited(1, Buffer.from('a')), lengthDelimited(2, value)]);
      value = lengthDelimited(4, lengthDelimited(1, entry));
    }
    const typeIdVarint = (() => {
      const out: number[] = [];
      let n = Number(at);
      while (n > 0x7f) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
      return Buffer.from(out);
    })();
    const customEntry = Buffer.concat([lengthDelimited(1, Buffer.from('deep')), lengthDelimited(2, value)]);
    const artifact = Buffer.concat([Buffer.from([0x10]), typeIdVarint, lengthDelimited(5, customEntry)]);
    const request = lengthDelimited(1, artifact);
    const r = await rawUnaryCall(raw, '/ml_metadata.MetadataStoreService/PutArtifacts', request);
    if ('code' in r) assert.notEqual(r.code, status.OK);
    await serverStillAnswers();
  });

  it('every RPC answers an empty request with OK or a deliberate status (never INTERNAL/UNKNOWN)', async () => {
    const unexpected: string[] = [];
    for (const name of MLMD_METHOD_NAMES) {
      try {
        await c.call(name, {});
      } catch (e) {
        assert.ok(e instanceof MlmdClientError);
        if (e.code === status.INTERNAL || e.code === status.UNKNOWN) unexpected.push(`${name}: ${e.message}`);
      }
    }
    assert.deepEqual(unexpected, []);
    await serverStillAnswers();
  });

  it('every RPC answers garbage bytes with an error status and the server survives', async () => {
    for (const name of MLMD_METHOD_NAMES) {
      const path = MetadataStoreServiceService[name].path;
      const r = await rawUnaryCall(raw, path, Buffer.from([0xff, 0xff, 0xff]));
      assert.ok('code' in r && r.code !== status.OK, `${name} accepted garbage`);
    }
    await serverStillAnswers();
  });

  it('an unknown method is UNIMPLEMENTED', async () => {
    const r = await rawUnaryCall(raw, '/ml_metadata.MetadataStoreService/NoSuchRpc', Buffer.alloc(0));
    assert.ok('code' in r);
    assert.equal(r.code, status.UNIMPLEMENTED);
  });

  it('concurrent writes from many calls all succeed (no ABORTED or INTERNAL within one server)', async () => {
    const name = uniq('conc');
    const tid = (await c.putArtifactType({ artifactType: { name } })).typeId!;
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => c.putArtifacts({ artifacts: [{ typeId: tid, name: `n${i}` }] })),
    );
    const failures = results
      .filter((r) => r.status === 'rejected')
      .map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failures, []);
    assert.equal((await c.getArtifactsByType({ typeName: name })).artifacts.length, 60);
    // Concurrent creates of the same name: exactly one wins, the others are ALREADY_EXISTS.
    const same = await Promise.allSettled(
      Array.from({ length: 10 }, () => c.putArtifacts({ artifacts: [{ typeId: tid, name: 'contended' }] })),
    );
    assert.equal(same.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of same) {
      if (r.status === 'rejected') assert.equal((r.reason as MlmdClientError).code, status.ALREADY_EXISTS);
    }
  });

  it('MlmdClientError carries method, code, code name and the server details verbatim', async () => {
    const e = await expectStatus(c.getArtifactType({ typeName: 'nope_nope' }), status.NOT_FOUND);
    assert.equal(e.method, 'getArtifactType');
    assert.equal(e.codeName, 'NOT_FOUND');
    assert.ok(e.details.includes('nope_nope'), e.details);
    assert.ok(e.message.includes('NOT_FOUND') && e.message.includes(e.details));
    assert.equal(e.name, 'MlmdClientError');
  });

  it('client deadlines: a 0 ms per-call deadline is DEADLINE_EXCEEDED; default deadline applies', async () => {
    await expectStatus(c.getArtifactTypes({}, { deadlineMs: 0 }), status.DEADLINE_EXCEEDED);
    const impatient = new MlmdClient(ts.address, { deadlineMs: 0 });
    try {
      await expectStatus(impatient.getArtifactTypes({}), status.DEADLINE_EXCEEDED);
      // A per-call deadline overrides the default.
      const r = await impatient.getArtifactTypes({}, { deadlineMs: 60_000 });
      assert.ok(Array.isArray(r.artifactTypes));
    } finally {
      impatient.close();
    }
  });

  it('an aborted signal cancels the call; a closed client fails calls; an unreachable server is UNAVAILABLE', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectStatus(c.getArtifactTypes({}, { signal: ac.signal }), status.CANCELLED);
    const other = new MlmdClient(ts.address);
    await other.waitForReady();
    other.close();
    const err = await other.getArtifactTypes({}).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof MlmdClientError, 'a closed client must reject');
    const nowhere = new MlmdClient('127.0.0.1:1', { deadlineMs: 2_000 });
    try {
      const e = await nowhere.getArtifactTypes({}).then(
        () => undefined,
        (x: unknown) => x as MlmdClientError,
      );
      assert.ok(e instanceof MlmdClientError);
      assert.ok([status.UNAVAILABLE, status.DEADLINE_EXCEEDED].includes(e.code), e.message);
    } finally {
      nowhere.close();
    }
  });

  it("a large response (beyond gRPC's 4 MiB default) is received with the SDK defaults", async () => {
    const big = 'x'.repeat(1024 * 1024);
    const name = uniq('big');
    const tid = (await c.putArtifactType({ artifactType: { name } })).typeId!;
    await c.putArtifacts({
      artifacts: Array.from({ length: 6 }, (_, i) => ({
        typeId: tid,
        customProperties: { blob: { value: { $case: 'stringValue' as const, value: big + i } } },
      })),
    });
    const r = await c.getArtifactsByType({ typeName: name });
    assert.equal(r.artifacts.length, 6);
    const small = new MlmdClient(ts.address, { channelOptions: { 'grpc.max_receive_message_length': 1024 } });
    try {
      await expectStatus(small.getArtifactsByType({ typeName: name }), status.RESOURCE_EXHAUSTED);
    } finally {
      small.close();
    }
  });
});

/**
 * Durability: every write the server acknowledged survives a SIGKILL of the server.
 * The CLI runs as a child process on a temp SQLite file; a grpc-js client (the generated service definition) runs
 * concurrent PutArtifacts loops (one artifact per call) recording acknowledged ids; the server is SIGKILLed while
 * calls are in flight, restarted on the same file, and every acknowledged artifact must be readable with
 * GetArtifactsByID, unchanged. Three kill/restart rounds on the same file; bounded in calls and time.
 * With CI=true a missing CLI fails the test; otherwise it is skipped.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';

import { cliExists, makeTempDir, startServer, type RunningServer } from '../compat/server-harness';
import { PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import {
  MetadataStoreServiceService,
  type GetArtifactsByIDResponse,
  type PutArtifactsResponse,
  type PutArtifactTypeResponse,
} from '../../generated/ml_metadata/proto/metadata_store_service';

const CI = process.env.CI === 'true' || process.env.CI === '1';
const ROUNDS = 3;
const WRITERS = 4; // concurrent write loops, so the kill lands while calls are in flight
const KILL_AFTER_ACKS = 150; // per round
const MAX_CALLS_PER_ROUND = 5_000;

const Ctor = makeGenericClientConstructor(MetadataStoreServiceService, 'MetadataStoreService');

type Unary = (req: unknown, opts: { deadline: number }, cb: (err: ServiceError | null, res: unknown) => void) => void;
function call<T>(client: Client, method: string, req: unknown, timeoutMs = 10_000): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method];
  return new Promise((resolve, reject) =>
    fn.call(client, req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as T))),
  );
}

const skip = !cliExists() && !CI ? 'src/cli/main.ts does not exist yet' : false;

describe('durability across SIGKILL', { skip }, () => {
  const dir = makeTempDir('durability-');
  const dbFile = path.join(dir, 'mlmd.db');
  let server: RunningServer | undefined;
  let client: Client | undefined;

  after(async () => {
    client?.close();
    await server?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged PutArtifacts after kill -9 and restart', async () => {
    assert.ok(cliExists(), 'cannot run: src/cli/main.ts does not exist');
    const acked = new Map<bigint, { name: string; uri: string; seq: number }>();
    let typeId: bigint | undefined;
    let seq = 0;

    for (let round = 0; round < ROUNDS; round++) {
      server = await startServer({ dbFile, dir });
      client = new Ctor(server.address, credentials.createInsecure());

      // Everything acknowledged in earlier rounds is there, unchanged.
      await verify(client, acked, typeId);

      const t = await call<PutArtifactTypeResponse>(client, 'putArtifactType', {
        artifactType: { name: 'durability_type', properties: { seq: PropertyType.INT } },
        canAddFields: false,
        canOmitFields: false,
      });
      assert.ok(t.typeId !== undefined && t.typeId > 0n, 'PutArtifactType returned no type_id');
      if (typeId !== undefined) assert.equal(t.typeId, typeId, 'type id changed across restart');
      typeId = t.typeId;

      // Concurrent write loops; SIGKILL once enough acknowledgements arrived, while calls are still in flight.
      let calls = 0;
      let ackedThisRound = 0;
      let killed = false;
      let lastError: unknown;
      let inFlightAtKill = 0;
      let inFlight = 0;
      const srv = server;
      const writer = async () => {
        // Bounded by calls, not time: a loaded machine only makes the round slower, never shorter.
        while (!killed && calls < MAX_CALLS_PER_ROUND) {
          calls++;
          const mySeq = ++seq;
          const name = `a-${mySeq}`;
          const uri = `file:///durability/${mySeq}/ünïcødé`;
          inFlight++;
          try {
            const res = await call<PutArtifactsResponse>(client!, 'putArtifacts', {
              artifacts: [
                { typeId, name, uri, properties: { seq: { value: { $case: 'intValue', value: BigInt(mySeq) } } } },
              ],
            });
            const id = res.artifactIds?.[0];
            assert.ok(
              id !== undefined && id > 0n,
              `PutArtifacts returned no id: ${JSON.stringify(res, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
            );
            assert.ok(!acked.has(id), `id ${id} acknowledged twice`);
            acked.set(id, { name, uri, seq: mySeq });
            ackedThisRound++;
            if (!killed && ackedThisRound >= KILL_AFTER_ACKS) {
              killed = true;
              inFlightAtKill = inFlight - 1;
              srv.proc.kill('SIGKILL');
            }
          } catch (e) {
            if (!killed) lastError = e;
            break; // the server is gone (or broken): stop this loop
          } finally {
            inFlight--;
          }
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
      assert.equal(lastError, undefined, `a write failed before the kill: ${String(lastError)}\n${srv.output()}`);
      assert.ok(killed, `the round ended without reaching ${KILL_AFTER_ACKS} acknowledged writes (${ackedThisRound})`);
      await server.kill(); // waits until the process is really gone
      assert.equal(server.proc.signalCode, 'SIGKILL');
      client.close();
      client = undefined;
      server = undefined;
      // Diagnostics for the reader of the test log.
      console.log(`round ${round + 1}: ${ackedThisRound} acknowledged, ${inFlightAtKill} in flight at the kill`);
    }

    // Final restart: all acknowledged writes of all rounds, and the file is still writable.
    server = await startServer({ dbFile, dir });
    client = new Ctor(server.address, credentials.createInsecure());
    await verify(client, acked, typeId);
    const res = await call<PutArtifactsResponse>(client, 'putArtifacts', {
      artifacts: [{ typeId, name: 'after-final-restart' }],
    });
    assert.ok(
      res.artifactIds?.[0] !== undefined && !acked.has(res.artifactIds[0]),
      'a new write after restart reused an acknowledged id',
    );
    await server.stop();
    assert.equal(server.proc.exitCode, 0, `server did not exit cleanly on SIGTERM:\n${server.output()}`);
    server = undefined;
  });
});

async function verify(
  client: Client,
  acked: Map<bigint, { name: string; uri: string; seq: number }>,
  typeId: bigint | undefined,
): Promise<void> {
  const ids = [...acked.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const res = await call<GetArtifactsByIDResponse>(client, 'getArtifactsById', { artifactIds: chunk });
    const got = new Map((res.artifacts ?? []).map((a) => [a.id!, a]));
    for (const id of chunk) {
      const want = acked.get(id)!;
      const a = got.get(id);
      assert.ok(a, `acknowledged artifact ${id} (${want.name}) is missing after restart`);
      assert.equal(a.name, want.name);
      assert.equal(a.uri, want.uri);
      assert.equal(a.typeId, typeId);
      const v = a.properties?.seq?.value;
      assert.deepEqual(v, { $case: 'intValue', value: BigInt(want.seq) });
    }
  }
}

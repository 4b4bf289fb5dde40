/**
 * What each step of a call costs (Issue 21), in this process, on the store the overhead bench's servers use: the
 * steps a gRPC call to our server runs besides grpc-js itself, each timed alone over many calls, CPU microseconds per
 * call. For each method:
 *
 *   well-formed    the top-level walk of the request bytes before decoding (services.ts checkWellFormed)
 *   UTF-8          the check of every string field of the request bytes (request-strings.ts)
 *   decode         the generated decoder
 *   transaction    an empty transaction of the method's mode: `lookup` on the server's thread; and, for comparison,
 *                  an empty `read`, which goes to a reader thread and back
 *   domain         the domain's function: its transaction with its reads and the building of the response
 *   encode         the generated encoder
 *   whole          decode (with both checks), the domain and encode as the server runs them, without observers
 *
 * What observers add is measured by the overhead bench beside this (metrics, access log).
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { MetadataStoreServiceService } from '../generated/ml_metadata/proto/metadata_store_service';
import { createMlmdApi } from '../src/mlmd/store';
import { checkWellFormed, mlmdServiceRegistration } from '../src/server/services';
import { requestStringChecker } from '../src/server/request-strings';
import { openDatabase } from '../src/storage/open';
import type { TxMode } from '../src/storage/database';
import { table } from './lib';

export interface StepCall {
  /** The method's key in MetadataStoreService (lower camel case). */
  method: string;
  label: string;
  request: object;
  /** The transaction mode the domain gives this request. */
  mode: TxMode;
}

/**
 * CPU microseconds per call of `fn` (this process's, every thread's: a reader thread's work counts): the best of 5
 * runs of `calls` / 5 calls each, after a tenth as many to warm up. CPU time rather than wall-clock time: on a
 * shared machine the wall clock mostly measures the other processes (under a load of 12 per core a 30 us call took
 * 360 us of wall-clock time).
 */
async function usPerCall(calls: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < calls / 10; i++) await fn();
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls / 5; i++) await fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, ((used.user + used.system) * 5) / calls);
  }
  return best;
}

export async function callSteps(dbPath: string, cases: readonly StepCall[], calls: number): Promise<string> {
  const db = await openDatabase({ kind: 'sqlite', filenameUri: dbPath });
  try {
    const api = createMlmdApi(db);
    const registration = mlmdServiceRegistration(api);
    const definition = MetadataStoreServiceService as unknown as ServiceDefinition;
    const strings = requestStringChecker();
    const rows: (string | number)[][] = [];
    for (const c of cases) {
      const spec = definition[c.method];
      const bytes = spec.requestSerialize(c.request);
      const method = registration.methods.find((m) => m.path === spec.path)!;
      const call = (api as unknown as Record<string, (r: unknown) => Promise<unknown>>)[c.method].bind(api);
      const request = spec.requestDeserialize(bytes);
      const response = await call(request);
      const steps = {
        wellFormed: await usPerCall(calls, () => checkWellFormed(bytes)),
        utf8: await usPerCall(calls, () => strings.check(spec.path, bytes)),
        decode: await usPerCall(calls, () => spec.requestDeserialize(bytes)),
        tx: await usPerCall(calls, () => db.transaction(c.mode, async () => undefined)),
        readTx: await usPerCall(calls / 10, () => db.transaction('read', async () => undefined)),
        domain: await usPerCall(calls, () => call(request)),
        encode: await usPerCall(calls, () => spec.responseSerialize(response)),
        whole: await usPerCall(calls, async () =>
          method.responseSerialize(await method.call(method.requestDeserialize(bytes))),
        ),
      };
      rows.push([
        c.label,
        steps.wellFormed,
        steps.utf8,
        steps.decode,
        `${steps.tx.toFixed(1)} (${c.mode})`,
        steps.readTx,
        steps.domain,
        steps.encode,
        steps.whole,
      ]);
    }
    return table(
      `What each step of a call costs, in-process (CPU us per call, best of 5 runs of ${calls / 5} calls)`,
      ['call', 'well-formed', 'UTF-8', 'decode', 'empty tx', 'empty read tx', 'domain', 'encode', 'whole'],
      rows,
    );
  } finally {
    await db.close();
  }
}

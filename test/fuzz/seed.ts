/**
 * The records written before the fuzzing starts, and their snapshot: each record's response bytes as the server
 * sends them (GetArtifactsByID & co., one id per call), so that afterwards every record can be compared byte for
 * byte. Values cover every kind, at the edges of what may be stored (int64 extremes, infinities, the largest
 * readable double, nested structs, Any, NUL bytes, Unicode).
 */
import { Event_Type, PropertyType, type Value } from '../../generated/ml_metadata/proto/metadata_store';
import {
  GetArtifactsByIDRequest,
  GetContextsByIDRequest,
  GetEventsByExecutionIDsRequest,
  GetExecutionsByIDRequest,
} from '../../generated/ml_metadata/proto/metadata_store_service';
import { CmfClient } from '../../src/client/cmf-client';
import { MlmdClient } from '../../src/client';
import type { RawClient } from './transport';

const v = {
  int: (x: bigint): Value => ({ value: { $case: 'intValue', value: x } }),
  double: (x: number): Value => ({ value: { $case: 'doubleValue', value: x } }),
  string: (x: string): Value => ({ value: { $case: 'stringValue', value: x } }),
  struct: (x: Record<string, unknown>): Value => ({ value: { $case: 'structValue', value: x } }),
  bool: (x: boolean): Value => ({ value: { $case: 'boolValue', value: x } }),
  proto: (typeUrl: string, bytes: number[]): Value => ({
    value: { $case: 'protoValue', value: { typeUrl, value: Buffer.from(bytes) } },
  }),
};

export interface Seeded {
  artifactIds: bigint[];
  executionIds: bigint[];
  contextIds: bigint[];
  typeIds: bigint[];
  /** Every node id (for the generators: reads name them). */
  all: bigint[];
}

export async function seedStore(address: string): Promise<Seeded> {
  const c = new MlmdClient(address, { deadlineMs: 120_000 });
  const cmf = new CmfClient(address, { deadlineMs: 120_000 });
  try {
    const at = (
      await c.putArtifactType({
        artifactType: {
          name: 'fuzz.SeedArtifact',
          properties: {
            i: PropertyType.INT,
            d: PropertyType.DOUBLE,
            s: PropertyType.STRING,
            st: PropertyType.STRUCT,
            p: PropertyType.PROTO,
            b: PropertyType.BOOLEAN,
          },
        },
      })
    ).typeId!;
    const et = (await c.putExecutionType({ executionType: { name: 'fuzz.SeedExecution', properties: { i: 1 } } }))
      .typeId!;
    const ct = (await c.putContextType({ contextType: { name: 'fuzz.SeedContext' } })).typeId!;
    const nested = (n: number): Record<string, unknown> =>
      n === 0 ? { leaf: [1, 'a', null, true] } : { n: nested(n - 1) };
    const { artifactIds } = await c.putArtifacts({
      artifacts: Array.from({ length: 40 }, (_, i) => ({
        typeId: at,
        name: `seed-artifact-${i}-ünï`,
        uri: `gs://seed/${i}/nul\u0000byte`,
        externalId: `seed-ext-${i}`,
        state: (i % 4) + 1,
        properties: {
          i: v.int(i % 2 ? (1n << 63n) - 1n : -(1n << 63n)),
          d: v.double([Infinity, -Infinity, 1.797693134862315e308, 0.1 + 0.2, 5e-324][i % 5]),
          s: v.string(`😀 ${i} ' " \\ % _`),
          st: v.struct(nested(i % 12)),
          p: v.proto('type.googleapis.com/fuzz.Seed', [8, i, 18, 3, 97, 98, 99]),
          b: v.bool(i % 2 === 0),
        },
        customProperties: { c: v.string(''), e: v.double(-0 + i) },
      })),
    });
    const { executionIds } = await c.putExecutions({
      executions: Array.from({ length: 20 }, (_, i) => ({
        typeId: et,
        name: `seed-execution-${i}`,
        lastKnownState: (i % 6) + 1,
        properties: { i: v.int(BigInt(i)) },
      })),
    });
    const { contextIds } = await c.putContexts({
      contexts: Array.from({ length: 10 }, (_, i) => ({ typeId: ct, name: `seed-context-${i}` })),
    });
    await c.putEvents({
      events: executionIds.flatMap((executionId, i) => [
        {
          artifactId: artifactIds[i],
          executionId,
          type: Event_Type.INPUT,
          path: { steps: [{ value: { $case: 'key', value: 'in' } }, { value: { $case: 'index', value: BigInt(i) } }] },
        },
        { artifactId: artifactIds[i + 20], executionId, type: Event_Type.OUTPUT },
      ]),
    });
    await c.putAttributionsAndAssociations({
      attributions: artifactIds.map((artifactId, i) => ({ artifactId, contextId: contextIds[i % 10] })),
      associations: executionIds.map((executionId, i) => ({ executionId, contextId: contextIds[i % 10] })),
    });
    await c.putParentContexts({
      parentContexts: contextIds.slice(1).map((childId, i) => ({ childId, parentId: contextIds[i] })),
    });
    // CMF's records are MLMD contexts and executions: a pipeline and a stage join the snapshot.
    const { pipeline } = await cmf.createPipeline({ pipelineName: 'fuzz-seed-pipeline', customProperties: {} });
    const { stage } = await cmf.createStage({
      pipelineName: 'fuzz-seed-pipeline',
      stageName: 'seed',
      customProperties: {},
    });
    const cmfContexts = [pipeline!.id!, stage!.id!];
    return {
      artifactIds,
      executionIds,
      contextIds: [...contextIds, ...cmfContexts],
      typeIds: [at, et, ct],
      all: [...artifactIds, ...executionIds, ...contextIds, ...cmfContexts],
    };
  } finally {
    c.close();
    cmf.close();
  }
}

export interface RecordSnapshot {
  key: string;
  /** Ids whose change by a successful write excuses a difference (the record's own, and its neighbours'). */
  ids: bigint[];
  bytes: Buffer;
}

const M = '/ml_metadata.MetadataStoreService';

/** One response per record: its bytes are the record as a client sees it. */
export async function snapshot(raw: RawClient, s: Seeded): Promise<RecordSnapshot[]> {
  const calls: Array<{ key: string; ids: bigint[]; path: string; body: Uint8Array }> = [
    ...s.artifactIds.map((id) => ({
      key: `artifact ${id}`,
      ids: [id],
      path: `${M}/GetArtifactsByID`,
      body: GetArtifactsByIDRequest.encode({ artifactIds: [id] }).finish(),
    })),
    ...s.executionIds.map((id) => ({
      key: `execution ${id}`,
      ids: [id],
      path: `${M}/GetExecutionsByID`,
      body: GetExecutionsByIDRequest.encode({ executionIds: [id] }).finish(),
    })),
    ...s.contextIds.map((id) => ({
      key: `context ${id}`,
      ids: [id],
      path: `${M}/GetContextsByID`,
      body: GetContextsByIDRequest.encode({ contextIds: [id] }).finish(),
    })),
    ...s.executionIds.map((id, i) => ({
      key: `events of execution ${id}`,
      ids: [id, s.artifactIds[i], s.artifactIds[i + 20]],
      path: `${M}/GetEventsByExecutionIDs`,
      body: GetEventsByExecutionIDsRequest.encode({ executionIds: [id] }).finish(),
    })),
  ];
  const out: RecordSnapshot[] = [];
  for (const call of calls) {
    const r = await raw.unary(call.path, call.body, 60_000);
    if (r.code !== 0 || !r.reply) throw new Error(`snapshot ${call.key}: status ${r.code} ${r.details}`);
    out.push({ key: call.key, ids: call.ids, bytes: r.reply });
  }
  return out;
}

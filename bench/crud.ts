/**
 * Issue 2 benchmark: put/get throughput for batches of 1 and 100 artifacts (PutArtifacts / GetArtifactsByID).
 *
 *   (a) our TS client -> our server          (gRPC, server in its own process, as users run it)
 *   (b) ml-metadata's Python client -> our server  (gRPC mode)
 *   (c) ml-metadata in-process on SQLite     (Google's C++ store: the reference)
 *
 * Every configuration gets a fresh SQLite file and the same workload: a warm-up, N single puts, M puts of 100,
 * N single gets and M gets of 100 ids. Calls are sequential (one outstanding request), so the figures are
 * per-call latency bound, as a pipeline step issuing metadata calls sees it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { MlmdClient } from '../src/client';
import type { Artifact } from '../generated/ml_metadata/proto/metadata_store';
import {
  BENCH_DIR,
  type BenchOptions,
  log,
  nowMs,
  ratio,
  runPython,
  startServerProcess,
  table,
  crudArtifact,
  CRUD_ARTIFACT_TYPE,
} from './lib';

interface Workload {
  singles: number;
  batches: number;
  batchSize: number;
  warmup: number;
}

/** Seconds per phase. */
interface CrudResult {
  put1: number;
  put100: number;
  get1: number;
  get100: number;
}

async function runTs(address: string, w: Workload): Promise<CrudResult> {
  const client = new MlmdClient(address, { deadlineMs: 60_000 });
  try {
    const { typeId } = await client.putArtifactType({
      artifactType: CRUD_ARTIFACT_TYPE,
    });
    const artifact = (tag: string, i: number): Artifact => crudArtifact(typeId, tag, i);
    const warm: bigint[] = [];
    for (let i = 0; i < w.warmup; i++)
      warm.push((await client.putArtifacts({ artifacts: [artifact('warm', i)] })).artifactIds[0]);
    for (let i = 0; i < w.warmup; i++) await client.getArtifactsById({ artifactIds: [warm[i]] });

    const r: CrudResult = { put1: 0, put100: 0, get1: 0, get100: 0 };
    let t0 = nowMs();
    const singleIds: bigint[] = [];
    for (let i = 0; i < w.singles; i++)
      singleIds.push((await client.putArtifacts({ artifacts: [artifact('s', i)] })).artifactIds[0]);
    r.put1 = (nowMs() - t0) / 1000;

    t0 = nowMs();
    const batchIds: bigint[][] = [];
    for (let b = 0; b < w.batches; b++) {
      const artifacts = Array.from({ length: w.batchSize }, (_, i) => artifact(`b${b}`, i));
      batchIds.push((await client.putArtifacts({ artifacts })).artifactIds);
    }
    r.put100 = (nowMs() - t0) / 1000;

    t0 = nowMs();
    for (let i = 0; i < w.singles; i++) {
      const got = await client.getArtifactsById({ artifactIds: [singleIds[(i * 7) % singleIds.length]] });
      if (got.artifacts.length !== 1) throw new Error('get: wrong count');
    }
    r.get1 = (nowMs() - t0) / 1000;

    t0 = nowMs();
    for (let b = 0; b < w.batches; b++) {
      const got = await client.getArtifactsById({ artifactIds: batchIds[(b * 7) % batchIds.length] });
      if (got.artifacts.length !== w.batchSize) throw new Error('get batch: wrong count');
    }
    r.get100 = (nowMs() - t0) / 1000;
    return r;
  } finally {
    client.close();
  }
}

function pyArgs(w: Workload): string[] {
  return [
    '--singles',
    `${w.singles}`,
    '--batches',
    `${w.batches}`,
    '--batch-size',
    `${w.batchSize}`,
    '--warmup',
    `${w.warmup}`,
  ];
}

function freshFile(name: string): string {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const f = path.join(BENCH_DIR, `crud-${name}-${process.pid}.sqlite`);
  removeDb(f);
  return f;
}

function removeDb(f: string): void {
  for (const x of [f, `${f}-wal`, `${f}-shm`, `${f}-journal`]) fs.rmSync(x, { force: true });
}

async function againstOurServer(name: string, body: (address: string) => Promise<CrudResult>): Promise<CrudResult> {
  const file = freshFile(name);
  const server = await startServerProcess(file);
  try {
    return await body(server.address);
  } finally {
    await server.stop();
    removeDb(file);
  }
}

export async function runCrud(opts: BenchOptions): Promise<string> {
  const w: Workload = opts.quick
    ? { singles: 200, batches: 20, batchSize: 100, warmup: 20 }
    : { singles: 2000, batches: 200, batchSize: 100, warmup: 100 };
  log(`crud: ${w.singles} single puts/gets, ${w.batches} batch puts/gets of ${w.batchSize}, warm-up ${w.warmup}`);

  log('crud (a): TS client -> our server');
  const ts = await againstOurServer('ts', (address) => runTs(address, w));
  log('crud (b): Python ml-metadata client (gRPC) -> our server');
  const py = await againstOurServer('py', (address) =>
    runPython<CrudResult>('crud.py', ['grpc', address, ...pyArgs(w)]),
  );
  log('crud (c): ml-metadata in-process (C++ store on SQLite), reference');
  const refFile = freshFile('ref');
  let ref: CrudResult;
  try {
    ref = await runPython<CrudResult>('crud.py', ['inproc', refFile, ...pyArgs(w)]);
  } finally {
    removeDb(refFile);
  }

  const phases: { key: keyof CrudResult; label: string; ops: number; per: number }[] = [
    { key: 'put1', label: 'PutArtifacts x1', ops: w.singles, per: 1 },
    { key: 'put100', label: `PutArtifacts x${w.batchSize}`, ops: w.batches, per: w.batchSize },
    { key: 'get1', label: 'GetArtifactsByID x1', ops: w.singles, per: 1 },
    { key: 'get100', label: `GetArtifactsByID x${w.batchSize}`, ops: w.batches, per: w.batchSize },
  ];
  const rows = phases.map((p) => {
    const opsPerSec = (r: CrudResult) => p.ops / r[p.key];
    return [
      p.label,
      `${p.ops}`,
      opsPerSec(ts),
      opsPerSec(ts) * p.per,
      opsPerSec(py),
      opsPerSec(py) * p.per,
      opsPerSec(ref),
      opsPerSec(ref) * p.per,
      ratio(opsPerSec(ts), opsPerSec(ref)),
      ratio(opsPerSec(py), opsPerSec(ref)),
    ];
  });
  return (
    table(
      'CRUD throughput (sequential calls; ops/s = RPCs per second, art/s = artifacts per second)',
      [
        'operation',
        'calls',
        'TS->ours ops/s',
        'art/s',
        'Py->ours ops/s',
        'art/s',
        'C++ ref ops/s',
        'art/s',
        'TS/ref',
        'Py/ref',
      ],
      rows,
    ) +
    '  TS->ours: our TS client, gRPC to our server (separate process). Py->ours: ml-metadata Python client in gRPC mode\n' +
    "  to our server. C++ ref: ml-metadata in-process (Google's C++ store, ConnectionConfig.sqlite), no RPC at all.\n"
  );
}

/**
 * Issue 3 benchmark: filter_query and lineage latency (and issue 11's table of requests at the filter limits,
 * limits.ts) on a large store (~1M artifacts, 1M executions, 4M events,
 * 100k contexts; see gen-store.ts), ours vs. ml-metadata's C++ store on a copy of the same file.
 *
 * Ours: our server (its own process) on the cached store, driven by our TS client over gRPC, one call at a time.
 * Reference: the ml-metadata package in-process on a copy of the file (bench/py/query.py), the same request
 * messages, timed around the store call. Each group runs >= 30 samples with varying parameters after a warm-up;
 * the result sizes of both sides are compared sample by sample.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { MlmdClient } from '../src/client';
import { ensureStore, FULL_SCALE, QUICK_SCALE, type StoreScale, BUCKETS } from './gen-store';
import { runLimits } from './limits';
import {
  BENCH_DIR,
  type BenchOptions,
  type Latency,
  latency,
  log,
  nowMs,
  ratio,
  runPython,
  startServerProcess,
  table,
} from './lib';
import { mulberry32 } from '../test/helpers/random';

const TARGET_P50_MS = 50;
const READ_MASK = ['artifacts', 'executions', 'contexts', 'events', 'attributions', 'associations'];

type Query =
  | { kind: 'filter'; filter: string; maxResultSize: number }
  | { kind: 'lineage'; filter: string; hops: number; readMask: string[] };

interface Group {
  name: string;
  label: string;
  warmup: Query[];
  samples: Query[];
}

/** Every run asks the same questions. */
const rng = mulberry32;
export function buildWorkload(scale: StoreScale, samples: number): Group[] {
  const r = rng(42);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const make = (n: number, f: () => Query) => Array.from({ length: n }, f);
  const group = (name: string, label: string, f: () => Query): Group => ({
    name,
    label,
    warmup: make(3, f),
    samples: make(samples, f),
  });
  // LIKE prefixes: 5 digits when the store has >= 100k artifacts (about 11 matches each), else 3 digits.
  const digits = scale.artifacts >= 100_000 ? 5 : 3;
  return [
    group('property', 'custom_properties.bucket.int_value = B (page of 20)', () => ({
      kind: 'filter',
      filter: `custom_properties.bucket.int_value = ${int(0, BUCKETS - 1)}`,
      maxResultSize: 20,
    })),
    group('context', "contexts_c.name = 'ctx-K' (page of 20)", () => ({
      kind: 'filter',
      filter: `contexts_c.name = 'ctx-${int(1, scale.contexts)}'`,
      maxResultSize: 20,
    })),
    group('like', `name LIKE 'artifact-${'N'.repeat(digits)}%' (page of 20)`, () => ({
      kind: 'filter',
      filter: `name LIKE 'artifact-${int(10 ** (digits - 1), 10 ** digits - 1)}%'`,
      maxResultSize: 20,
    })),
    group('lineage', 'GetLineageSubgraph, 3 hops from 10 artifacts', () => ({
      kind: 'lineage',
      filter: `id IN (${Array.from({ length: 10 }, () => int(1, scale.artifacts)).join(', ')})`,
      hops: 3,
      readMask: READ_MASK,
    })),
  ];
}

interface GroupResult {
  ms: number[];
  rows: number[];
}

async function runOurs(address: string, groups: Group[]): Promise<Record<string, GroupResult>> {
  const client = new MlmdClient(address, { deadlineMs: 120_000 });
  const call = async (q: Query): Promise<number> => {
    if (q.kind === 'filter') {
      const res = await client.getArtifacts({ options: { maxResultSize: q.maxResultSize, filterQuery: q.filter } });
      return res.artifacts.length;
    }
    const res = await client.getLineageSubgraph({
      lineageSubgraphQueryOptions: {
        startingNodes: { $case: 'startingArtifacts', value: { filterQuery: q.filter } },
        maxNumHops: BigInt(q.hops),
      },
      readMask: q.readMask,
    });
    const g = res.lineageSubgraph;
    return (g?.artifacts?.length ?? 0) + (g?.executions?.length ?? 0) + (g?.events?.length ?? 0);
  };
  try {
    const out: Record<string, GroupResult> = {};
    for (const g of groups) {
      for (const q of g.warmup) await call(q);
      const res: GroupResult = { ms: [], rows: [] };
      for (const q of g.samples) {
        const t0 = nowMs();
        const n = await call(q);
        res.ms.push(nowMs() - t0);
        res.rows.push(n);
      }
      out[g.name] = res;
      const l = latency(res.ms);
      log(`  ours ${g.name}: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`);
    }
    return out;
  } finally {
    client.close();
  }
}

export async function runQuery(opts: BenchOptions): Promise<string> {
  const scale = opts.quick ? QUICK_SCALE : FULL_SCALE;
  const samples = opts.quick ? 30 : 100;
  const store = await ensureStore(scale);
  const groups = buildWorkload(scale, samples);
  fs.mkdirSync(BENCH_DIR, { recursive: true });

  log(`query: ours (server on ${path.basename(store)})`);
  const server = await startServerProcess(store);
  let ours: Record<string, GroupResult>;
  try {
    ours = await runOurs(server.address, groups);
  } finally {
    await server.stop();
  }

  // The reference works on a copy: the same data and indexes (ours included), never our cached file.
  const copy = path.join(BENCH_DIR, `query-ref-copy-${process.pid}.sqlite`);
  const workloadFile = path.join(BENCH_DIR, `query-workload-${process.pid}.json`);
  let ref: Record<string, GroupResult> | undefined;
  try {
    log('query: reference (ml-metadata in-process on a copy of the file)');
    fs.copyFileSync(store, copy);
    fs.writeFileSync(workloadFile, JSON.stringify({ groups }));
    ref = await runPython<Record<string, GroupResult>>('query.py', [copy, workloadFile]);
  } catch (e) {
    log(`reference failed: ${(e as Error).message}`);
  } finally {
    for (const f of [copy, `${copy}-wal`, `${copy}-shm`, `${copy}-journal`, workloadFile])
      fs.rmSync(f, { force: true });
  }

  const rows = groups.map((g) => {
    const o: Latency = latency(ours[g.name].ms);
    const rr = ref?.[g.name];
    const f: Latency | undefined = rr ? latency(rr.ms) : undefined;
    const mismatches = rr ? ours[g.name].rows.filter((n, i) => n !== rr.rows[i]).length : NaN;
    const avgRows = ours[g.name].rows.reduce((a, b) => a + b, 0) / ours[g.name].rows.length;
    return [
      g.label,
      `${o.n}`,
      avgRows,
      o.p50,
      o.p99,
      f ? f.p50 : NaN,
      f ? f.p99 : NaN,
      f ? ratio(o.p50, f.p50) : 'n/a',
      o.p50 < TARGET_P50_MS ? 'yes' : 'NO',
      Number.isNaN(mismatches) ? 'n/a' : mismatches === 0 ? 'same' : `${mismatches} differ`,
    ];
  });
  const limits = await runLimits(store, scale);
  return (
    table(
      `Query latency, ms (store: ${scale.artifacts.toLocaleString('en-US')} artifacts, ${scale.executions.toLocaleString('en-US')} executions, ` +
        `${(scale.executions * 4).toLocaleString('en-US')} events, ${scale.contexts.toLocaleString('en-US')} contexts)`,
      [
        'query',
        'n',
        'avg rows',
        'ours p50',
        'ours p99',
        'C++ p50',
        'C++ p99',
        'p50 ours/ref',
        `<${TARGET_P50_MS}ms`,
        'result sizes',
      ],
      rows,
    ) +
    '  ours: TS client -> our server over gRPC (includes the RPC). C++: ml-metadata in-process on a copy of the file\n' +
    '  (same data and indexes), timed around the store call. avg rows: artifacts listed, or lineage nodes + events.\n' +
    limits
  );
}

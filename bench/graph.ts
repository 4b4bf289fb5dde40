/**
 * Issue 5: the Neo4j projection's cost and catch-up. A CMF-shaped logging workload (cmflib's MLMD calls, names
 * and types, written through the MLMD gRPC API by test/graph/workloads.ts: per execution a stage context, the
 * execution with its association and two updates, a shared Environment input, a shared Dataset input, a Dataset
 * output and a Metrics output) is logged with the graph off, then on (Neo4j up, the worker draining alongside),
 * then on with Neo4j down (changes pile up in the outbox), and the time for the graph to catch up once Neo4j is
 * back is measured. Needs Java 17 and Maven (test/graph/neo4j.sh).
 */
import { stringValue } from '../test/helpers/mlmd';
import { graphCounts, startGraphServer, startNeo4j, waitForDrain, clearNeo4j, type GraphServer } from '../test/graph/harness';
import { CmfLikeWriter } from '../test/graph/workloads';
import { outboxLag } from '../src/graph/outbox';
import { type BenchOptions, fmt, log, table } from './lib';

async function logRun(s: GraphServer, executions: number): Promise<number> {
  const w = new CmfLikeWriter(s.client);
  await w.startPipeline('bench');
  const t0 = performance.now();
  for (let i = 0; i < executions; i++) {
    if (i % 100 === 0) await w.createContext(`stage-${i / 100}`);
    await w.createExecution('Train', { i: stringValue(String(i)) }, 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0');
    await w.logArtifact('Dataset', 'data/raw', 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0', 'input');
    await w.logArtifact('Dataset', `data/out-${i}`, `${String(i).padStart(8, '0')}aaaaaaaaaaaaaaaaaaaaaaaa`, 'output');
    await w.logMetrics('m', { n: stringValue(String(i)) });
  }
  return (performance.now() - t0) / 1000;
}

export async function runGraph(opts: BenchOptions): Promise<string> {
  const n = Number(process.env.GRAPH_BENCH_EXECUTIONS) || (opts.quick ? 300 : 10_000);
  const neo = await startNeo4j();
  const rows: (string | number)[][] = [];
  try {
    // Warm-up (JIT, page cache, the Neo4j JVM just started) so the first measured run is not penalised.
    let s = await startGraphServer(neo.uri);
    await logRun(s, Math.min(200, n));
    await waitForDrain(s, 600_000);
    await s.stop();
    log(`graph: ${n} executions with the graph off`);
    s = await startGraphServer();
    const off = await logRun(s, n);
    await s.stop();
    rows.push(['graph off', n, fmt(off), fmt(n / off), '-', '-']);

    log(`graph: ${n} executions with the graph on (Neo4j up)`);
    await clearNeo4j(neo.driver);
    s = await startGraphServer(neo.uri, { pollMs: 1_000, minBackoffMs: 200 });
    const on = await logRun(s, n);
    const lagAtEnd = await outboxLag(s.db);
    let t0 = performance.now();
    await waitForDrain(s, 3_600_000);
    const tail = (performance.now() - t0) / 1000;
    const counts = await graphCounts(neo.driver);
    await s.stop();
    rows.push(['graph on, Neo4j up', n, fmt(on), fmt(n / on), `${lagAtEnd.rows} rows`, fmt(tail)]);
    log(`graph: CMF nodes ${JSON.stringify(counts.nodes)}`);

    log(`graph: ${n} executions with the graph on and Neo4j down, then catch-up`);
    await clearNeo4j(neo.driver);
    await neo.stop();
    s = await startGraphServer(neo.uri, { pollMs: 1_000, minBackoffMs: 200, maxBackoffMs: 1_000 });
    const down = await logRun(s, n);
    const backlog = await outboxLag(s.db);
    await neo.start();
    t0 = performance.now();
    await waitForDrain(s, 3_600_000);
    const catchUp = (performance.now() - t0) / 1000;
    await s.stop();
    rows.push(['graph on, Neo4j down', n, fmt(down), fmt(n / down), `${backlog.rows} rows`, fmt(catchUp)]);
  } finally {
    await neo.dispose();
  }
  return table(
    'Neo4j projection (issue 5): CMF-shaped logging through MLMD gRPC, ~12 RPCs per execution',
    ['run', 'executions', 'logging s', 'executions/s', 'outbox after logging', 'graph caught up after (s)'],
    rows,
  );
}

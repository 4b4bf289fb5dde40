/**
 * `npm run bench [-- --only=crud|query] [--quick]`: runs the benchmarks and prints their figure tables.
 *
 *   cmf    Issue 4: CMF SDK logging (executions/s, artifacts/s) and DVC hashing MB/s vs md5sum
 *   crud   Issue 2: PutArtifacts / GetArtifactsByID throughput, ours vs. ml-metadata's C++ store
 *   query  Issue 3: filter and lineage latency on a ~1M-node store, ours vs. ml-metadata's C++ store, and issue 11's
 *          requests at the filter limits (also alone: limits)
 *   graph  Issue 5: CMF logging with the Neo4j projection off/on, and graph catch-up after 10,000 executions
 *   postgres  (only with --backend=postgres or --only=postgres) CRUD under concurrency: SQLite vs PostgreSQL, 1 and 3 servers
 *   mysql     (only with --backend=mysql or --only=mysql) the same on SQLite, PostgreSQL and MariaDB side by side
 *   overhead  Issue 12: per-call overhead of the built server vs the tsx one vs a bare grpc-js echo server
 *   cmf-push  (only with --only=cmf-push) Issue 13: `cmf metadata push` of 10,000 executions, ours vs cmflib's cmf-server
 *   ui     Issue 14: the web UI in Chromium on 100,000 executions / 300,000 artifacts: table first render, lineage graph
 *
 * --quick uses small sizes (smoke test in seconds). Needs the compat venv (bash scripts/setup-test-env.sh) for
 * the Python and reference parts. Generated stores are cached under .bench/.
 */
import { runCmf } from './cmf';
import { runCmfPush } from './cmf-push';
import { runCrud } from './crud';
import { runGraph } from './graph';
import { runOverhead } from './overhead';
import { type BenchOptions, log } from './lib';
import { runBackends } from './backends';
import { runQuery } from './query';
import { runUi } from './ui';
import { runLimits } from './limits';
import { ensureStore, FULL_SCALE, QUICK_SCALE } from './gen-store';

const SUITES: Record<string, (o: BenchOptions) => Promise<string>> = {
  crud: runCrud,
  query: runQuery,
  cmf: runCmf,
  graph: runGraph,
  postgres: (o) => runBackends(o, ['postgres']),
  mysql: (o) => runBackends(o, ['postgres', 'mysql']),
  overhead: runOverhead,
  'cmf-push': runCmfPush,
  ui: runUi,
  limits: async (o) => {
    const scale = o.quick ? QUICK_SCALE : FULL_SCALE;
    return runLimits(await ensureStore(scale), scale);
  },
};

/** Suites that start database servers: run only when asked for. */
const ON_REQUEST = new Set(['postgres', 'mysql', 'cmf-push']);

async function main(argv: string[]): Promise<number> {
  // limits runs within query (also alone with --only=limits).
  let only: string[] = Object.keys(SUITES).filter((s) => !ON_REQUEST.has(s) && s !== 'limits');
  const opts: BenchOptions = { quick: false };
  for (const a of argv) {
    if (a === '--quick') opts.quick = true;
    else if (a.startsWith('--only=')) only = a.slice('--only='.length).split(',').filter(Boolean);
    else if (a === '--backend=postgres') only = ['postgres'];
    else if (a === '--backend=mysql') only = ['mysql'];
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- [--only=crud|query[,..]] [--backend=postgres|mysql] [--quick]\n');
      return 0;
    } else {
      process.stderr.write(`unknown argument ${a}\n`);
      return 2;
    }
  }
  for (const name of only)
    if (!SUITES[name]) {
      process.stderr.write(`unknown suite ${name} (have: ${Object.keys(SUITES).join(', ')})\n`);
      return 2;
    }
  const t0 = Date.now();
  for (const name of only) {
    log(`=== ${name}${opts.quick ? ' (quick)' : ''} ===`);
    const out = await SUITES[name](opts);
    process.stdout.write(out + '\n');
  }
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);

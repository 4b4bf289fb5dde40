/**
 * `npm run bench -- --only=ui`: the web UI in a real browser (Debian's chromium via playwright-core) on a store of
 * 100,000 executions and 300,000 artifacts served by the server binary:
 *   - time to first render of the executions table (cold page load, in-app navigation, sorted by create time,
 *     filtered, next page) and of the artifacts table; target under 1 s;
 *   - lineage graph render time for 200 and 2,000 nodes (GetLineageSubgraph + node reads, dagre layout, SVG), split
 *     into fetch, layout and render; target under 2 s for 200 nodes.
 * Every figure is the time from the navigation to the rows / graph being in the DOM, measured inside the page with
 * performance.now(), median of several runs. The store is generated once with bulk SQL and cached in .bench/.
 *
 * Store shape: two lineage clusters of a fan-out DAG (one dataset -> P prepare executions -> P datasets -> T train
 * executions each -> model + metrics): P=10, T=6 gives 201 nodes within 4 hops, P=40, T=16 gives 2,001; the rest are
 * chains (an execution reads the previous dataset and writes dataset, model, metrics) up to the totals.
 */
import BetterSqlite3 from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchBrowser } from '../test/ui/harness';
import { openDatabase } from '../src/storage/open';
import { BENCH_DIR, type BenchOptions, freePort, log, startCli, table } from './lib';

const GENERATOR_VERSION = 1;
const BASE_TIME = 1_700_000_000_000;

interface Scale {
  executions: number;
  artifacts: number;
}
const FULL: Scale = { executions: 100_000, artifacts: 300_000 };
const QUICK: Scale = { executions: 10_000, artifacts: 30_000 };

/** Fan-out clusters: [prepare executions, train executions per prepared dataset]. */
const CLUSTERS = { small: [10, 6], large: [40, 16] } as const;
const clusterNodes = ([p, t]: readonly [number, number]) => 1 + 2 * p + 3 * p * t;

interface Store {
  file: string;
  /** The first artifact of each cluster: the start of its lineage. */
  roots: { small: number; large: number };
}

/** The cached store of this scale, generated first when absent. */
async function ensureStore(scale: Scale): Promise<Store> {
  const file = path.join(BENCH_DIR, `ui-store-v${GENERATOR_VERSION}-x${scale.executions}-a${scale.artifacts}.sqlite`);
  const meta = `${file}.json`;
  if (fs.existsSync(file) && fs.existsSync(meta)) {
    log(`using cached store ${path.relative(process.cwd(), file)}`);
    return { file, roots: JSON.parse(fs.readFileSync(meta, 'utf8')) as Store['roots'] };
  }
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const tmp = `${file}.partial`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) fs.rmSync(f, { force: true });
  const t0 = Date.now();
  // The schema exactly as the server creates it, then bulk rows.
  const db = await openDatabase({ kind: 'sqlite', filenameUri: tmp });
  await db.close();
  const conn = new BetterSqlite3(tmp);
  conn.pragma('journal_mode = OFF');
  conn.pragma('synchronous = OFF');
  conn.pragma('cache_size = -1000000');
  const roots = fill(conn, scale);
  conn.pragma('journal_mode = DELETE');
  conn.close();
  fs.renameSync(tmp, file);
  fs.writeFileSync(meta, JSON.stringify(roots));
  log(`generated ${path.relative(process.cwd(), file)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { file, roots };
}

function fill(conn: BetterSqlite3.Database, scale: Scale): Store['roots'] {
  const typeId = (name: string, kind: number) =>
    Number(
      (conn.prepare('INSERT INTO Type (name, type_kind) VALUES (?, ?) RETURNING id').get(name, kind) as { id: number })
        .id,
    );
  const dataset = typeId('Dataset', 1);
  const model = typeId('Model', 1);
  const metrics = typeId('Metrics', 1);
  const prepare = typeId('Prepare', 0);
  const train = typeId('Train', 0);
  const art = conn.prepare(
    'INSERT INTO Artifact (id, type_id, uri, state, name, create_time_since_epoch, last_update_time_since_epoch) ' +
      'VALUES (?, ?, ?, 2, ?, ?, ?)',
  );
  const artProp = conn.prepare(
    'INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, double_value) VALUES (?, ?, 1, ?)',
  );
  const exe = conn.prepare(
    'INSERT INTO Execution (id, type_id, last_known_state, name, create_time_since_epoch, last_update_time_since_epoch) ' +
      'VALUES (?, ?, 3, ?, ?, ?)',
  );
  const exeProp = conn.prepare(
    'INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, int_value) VALUES (?, ?, 1, ?)',
  );
  const ev = conn.prepare(
    'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?, ?, ?, ?)',
  );
  let a = 0;
  let x = 0;
  const newArtifact = (type: number, label: string) => {
    a++;
    art.run(a, type, `s3://bench/${label}/${a}`, `${label}-${a}`, BASE_TIME + a, BASE_TIME + a);
    if (type === metrics) artProp.run(a, 'accuracy', (a % 1000) / 1000);
    return a;
  };
  const newExecution = (type: number, label: string, reads: number[]) => {
    x++;
    exe.run(x, type, `${label}-${x}`, BASE_TIME + x, BASE_TIME + x);
    exeProp.run(x, 'seed', x % 97);
    for (const r of reads) ev.run(r, x, 3, BASE_TIME + x); // INPUT
    return x;
  };
  const output = (artifact: number, execution: number) => ev.run(artifact, execution, 4, BASE_TIME + execution);

  const cluster = ([p, t]: readonly [number, number]) => {
    const root = newArtifact(dataset, 'raw');
    for (let i = 0; i < p; i++) {
      const prep = newExecution(prepare, 'prepare', [root]);
      const prepared = newArtifact(dataset, 'prepared');
      output(prepared, prep);
      for (let j = 0; j < t; j++) {
        const tr = newExecution(train, 'train', [prepared]);
        output(newArtifact(model, 'model'), tr);
        output(newArtifact(metrics, 'metrics'), tr);
      }
    }
    return root;
  };
  const roots = conn.transaction(() => ({ small: cluster(CLUSTERS.small), large: cluster(CLUSTERS.large) }))();

  // Chains up to the totals: each seed dataset starts a chain whose executions read the previous dataset and
  // write a dataset, a model and metrics (3 artifacts per execution).
  const executionsLeft = scale.executions - x;
  const seeds = scale.artifacts - a - 3 * executionsLeft;
  if (seeds < 1) throw new Error('bench ui: the scale leaves no room for chain seeds');
  const perChain = Math.ceil(executionsLeft / seeds);
  const t0 = Date.now();
  conn.transaction(() => {
    let remaining = executionsLeft;
    for (let s = 0; s < seeds; s++) {
      let previous = newArtifact(dataset, 'seed');
      for (let k = 0; k < perChain && remaining > 0; k++, remaining--) {
        const e = newExecution(train, 'step', [previous]);
        const next = newArtifact(dataset, 'data');
        output(next, e);
        output(newArtifact(model, 'model'), e);
        output(newArtifact(metrics, 'metrics'), e);
        previous = next;
      }
    }
  })();
  log(
    `  ${x.toLocaleString('en-US')} executions, ${a.toLocaleString('en-US')} artifacts in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (x !== scale.executions || a !== scale.artifacts)
    throw new Error(`bench ui: generated ${x} executions, ${a} artifacts`);
  return roots;
}

/**
 * The few browser globals the in-page functions below use. The bench is type-checked as Node code (no DOM library),
 * and functions handed to page.evaluate are serialized, so each one reads them from its own globalThis. They define no
 * named inner functions: tsx would wrap those in a helper (__name) that does not exist in the page.
 */
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  click(): void;
}
interface PageGlobals {
  document: {
    body: unknown;
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
  };
  location: { hash: string };
  performance: { now(): number; getEntriesByName(name: string): { duration: number }[] };
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: object): void;
    disconnect(): void;
  };
}

/**
 * In the page: navigates to `hash` and resolves with the milliseconds until `ready` (a CSS selector) matches in a
 * render of that hash with nothing left loading, watching DOM mutations (no polling delay).
 */
function measureNavigation([hash, ready]: string[]): Promise<number> {
  const w = globalThis as unknown as PageGlobals;
  const t0 = w.performance.now();
  return new Promise((resolve) => {
    const observer = new w.MutationObserver(() => {
      if (
        w.document.querySelector('.app')?.dataset.route === hash &&
        !w.document.querySelector('.loading') &&
        w.document.querySelector(ready) !== null
      ) {
        observer.disconnect();
        resolve(w.performance.now() - t0);
      }
    });
    observer.observe(w.document.body, { subtree: true, childList: true, attributes: true });
    w.location.hash = hash;
  });
}

/** In the page: milliseconds from the document's start until `ready` matches (a cold load). */
function sinceNavigationStart(ready: string): Promise<number> {
  const w = globalThis as unknown as PageGlobals;
  return new Promise((resolve) => {
    if (w.document.querySelector(ready)) return resolve(w.performance.now());
    const observer = new w.MutationObserver(() => {
      if (w.document.querySelector(ready)) {
        observer.disconnect();
        resolve(w.performance.now());
      }
    });
    observer.observe(w.document.body, { subtree: true, childList: true, attributes: true });
  });
}

/** In the page: clicks "Next page" and resolves when the next page's rows are in. */
function measureNextPage(ready: string): Promise<number> {
  const w = globalThis as unknown as PageGlobals;
  const before = w.location.hash;
  const t0 = w.performance.now();
  return new Promise((resolve) => {
    const observer = new w.MutationObserver(() => {
      const route = w.document.querySelector('.app')?.dataset.route;
      if (route !== before && !w.document.querySelector('.loading') && w.document.querySelector(ready)) {
        observer.disconnect();
        resolve(w.performance.now() - t0);
      }
    });
    observer.observe(w.document.body, { subtree: true, childList: true, attributes: true });
    Array.from(w.document.querySelectorAll('button'))
      .find((b) => b.textContent === 'Next page')!
      .click();
  });
}

/** In the page: the durations the lineage view recorded (performance.measure), latest first. */
function lineageMeasures(): number[] {
  const w = globalThis as unknown as PageGlobals;
  return ['lineage:fetch', 'lineage:layout'].map((n) => w.performance.getEntriesByName(n).at(-1)?.duration ?? NaN);
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(0)} ms`;

export async function runUi(opts: BenchOptions): Promise<string> {
  const scale = opts.quick ? QUICK : FULL;
  const runs = opts.quick ? 3 : 5;
  const store = await ensureStore(scale);
  const httpPort = await freePort();
  const server = await startCli([`--db=${store.file}`, `--http_port=${httpPort}`, '--host=127.0.0.1']);
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error('bench ui: the HTTP listener did not come up');
    await new Promise((r) => setTimeout(r, 50));
  }
  const browser = await launchBrowser();
  const rows: (string | number)[][] = [];
  const graphRows: (string | number)[][] = [];
  try {
    const page = await browser.newPage();
    const rowsReady = '[data-testid=node-table] tbody tr[data-id]';

    // Cold: a fresh page load (HTML, the bundle, then the first GetExecutions) until the rows are there.
    const cold: number[] = [];
    for (let i = 0; i < runs; i++) {
      await page.goto('about:blank');
      await page.goto(`${base}/#/executions`);
      cold.push(await page.evaluate(sinceNavigationStart, rowsReady));
    }
    rows.push(['executions: page load to first rows', scale.executions, ms(median(cold)), ms(Math.max(...cold))]);

    const navigations: [string, string, number][] = [
      ['executions (in-app navigation)', '#/executions', scale.executions],
      ['executions sorted by create time', '#/executions?sort=CREATE_TIME', scale.executions],
      [
        'executions filtered (name LIKE)',
        `#/executions?filter=${encodeURIComponent("name LIKE 'train-9%'")}`,
        scale.executions,
      ],
      ['executions of one type', '#/executions?type=Prepare', scale.executions],
      ['artifacts (in-app navigation)', '#/artifacts', scale.artifacts],
      ['artifacts of one type, 100 rows', '#/artifacts?type=Metrics&size=100', scale.artifacts],
    ];
    for (const [label, hash, n] of navigations) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        await page.evaluate(measureNavigation, ['#/', '#page-title']);
        times.push(await page.evaluate(measureNavigation, [hash, rowsReady]));
      }
      rows.push([label, n, ms(median(times)), ms(Math.max(...times))]);
    }
    const next: number[] = [];
    for (let i = 0; i < runs; i++) {
      await page.evaluate(measureNavigation, ['#/', '#page-title']);
      await page.evaluate(measureNavigation, ['#/executions', rowsReady]);
      next.push(await page.evaluate(measureNextPage, rowsReady));
    }
    rows.push(['executions: next page (click to rows)', scale.executions, ms(median(next)), ms(Math.max(...next))]);

    for (const [label, root, nodes] of [
      ['lineage, 200 nodes', store.roots.small, clusterNodes(CLUSTERS.small)],
      ['lineage, 2,000 nodes', store.roots.large, clusterNodes(CLUSTERS.large)],
    ] as const) {
      const total: number[] = [];
      const fetchMs: number[] = [];
      const layoutMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        await page.evaluate(measureNavigation, ['#/', '#page-title']);
        const hash = `#/lineage/artifact/${root}?hops=4&dir=both`;
        total.push(await page.evaluate(measureNavigation, [hash, `svg[data-nodes="${nodes}"] .node`]));
        const [f, l] = await page.evaluate(lineageMeasures);
        fetchMs.push(f);
        layoutMs.push(l);
      }
      const t = median(total);
      const f = median(fetchMs);
      const l = median(layoutMs);
      graphRows.push([label, nodes, ms(t), ms(f), ms(l), ms(t - f - l), ms(Math.max(...total))]);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return [
    table(
      `UI tables: first render in Chromium (${scale.executions.toLocaleString('en-US')} executions, ${scale.artifacts.toLocaleString('en-US')} artifacts; median of ${runs}; target < 1 s)`,
      ['view', 'rows in store', 'median', 'max'],
      rows,
    ),
    table(
      `UI lineage graph: navigation to drawn graph (median of ${runs}; target < 2 s for 200 nodes)`,
      ['graph', 'nodes', 'total', 'fetch (3 RPCs)', 'layout (dagre)', 'render', 'max total'],
      graphRows,
    ),
  ].join('\n');
}

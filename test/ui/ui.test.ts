/**
 * The web UI end to end: the server binary with its HTTP listener, a CMF pipeline logged with the Cmf SDK and a
 * Kubeflow-shaped MLMD workload, and a real headless Chromium asserting what a person sees: tables equal the store's
 * records (paging to the last row, sorting, filters, type pickers), filter errors where the user typed, detail pages
 * with every property, CMF views, the model card, and the lineage graph equal to GetLineageSubgraph's answer (click,
 * expand, path, zoom, keyboard), deep links, and the message when the server is gone. Screenshots of every view go
 * to the folder printed at the start (test-artifacts/ui, or UI_SCREENSHOT_DIR).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Page } from 'playwright-core';
import {
  Event_Type,
  execution_StateToJSON,
  LineageSubgraphQueryOptions_Direction as Direction,
  ListOperationOptions_OrderByField_Field as OrderField,
  type Artifact,
  type Execution,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import { CmfClient, MlmdClient } from '../../src/client';
import {
  launchBrowser,
  exitUnlessRunnable,
  screenshotDir,
  startUiServer,
  type Browser,
  type UiServer,
} from './harness';
import { logCmfPipeline, logKfpWorkload, type CmfIds, type KfpIds } from './workloads';

exitUnlessRunnable();

const SHOTS = screenshotDir('ui');
process.stdout.write(`# screenshots: ${SHOTS}\n`);

/** What a value looks like in the UI's property tables (format.ts), computed independently from the record. */
function shown(v: Value): [string, string] {
  const x = v.value!;
  switch (x.$case) {
    case 'intValue':
      return ['INT', x.value.toString()];
    case 'doubleValue':
      return ['DOUBLE', String(x.value)];
    case 'stringValue':
      return ['STRING', x.value];
    case 'boolValue':
      return ['BOOLEAN', String(x.value)];
    case 'structValue':
      return ['STRUCT', JSON.stringify(x.value)];
    default:
      return ['PROTO', ''];
  }
}

describe('web UI in a real browser', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-ui-'));
  let server: UiServer;
  let mlmd: MlmdClient;
  let cmf: CmfClient;
  let browser: Browser;
  let page: Page;
  let cmfIds: CmfIds;
  let kfp: KfpIds;
  const pageErrors: string[] = [];

  before(async () => {
    server = await startUiServer({ dbFile: path.join(dir, 'mlmd.db'), dir, extraArgs: ['--tenants=team-a'] });
    mlmd = new MlmdClient(server.grpc, { deadlineMs: 30_000 });
    cmf = new CmfClient(server.grpc, { deadlineMs: 30_000 });
    cmfIds = await logCmfPipeline(cmf, dir);
    kfp = await logKfpWorkload(mlmd);
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
  });
  after(async () => {
    await browser?.close();
    mlmd?.close();
    cmf?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the view has loaded (no loading message left) and returns its h1. */
  async function settle(): Promise<string> {
    await page.waitForFunction(
      () =>
        (document.querySelector('.app') as HTMLElement | null)?.dataset.route === location.hash &&
        !!document.getElementById('page-title') &&
        !document.querySelector('.loading'),
    );
    return (await page.textContent('#page-title'))!.trim();
  }
  async function open(hash: string): Promise<string> {
    await page.goto(`${server.http}/${hash}`);
    return settle();
  }
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const tableIds = () =>
    page.$$eval('[data-testid=node-table] tbody tr[data-id]', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.id!),
    );
  const rowCells = (id: string) =>
    page.$$eval(`[data-testid=node-table] tbody tr[data-id="${id}"] td`, (cells) => cells.map((c) => c.textContent));
  /** Clicks something that navigates, and waits for the new view (the click's effect on the URL comes after it). */
  const click = async (selector: string) => {
    const before = await page.evaluate(() => location.hash);
    await page.click(selector);
    await page.waitForFunction((b) => location.hash !== b, before);
    return settle();
  };

  async function allExecutions(order = OrderField.ID, asc = false): Promise<Execution[]> {
    return (await mlmd.getExecutions({ options: { maxResultSize: 100, orderByField: { field: order, isAsc: asc } } }))
      .executions;
  }

  it('overview: CMF pipelines and every type, each a link', async () => {
    assert.equal(await open('#/'), 'Overview');
    assert.equal(await page.title(), 'Overview · cmf-mlmd');
    assert.ok(await page.isVisible(`a[href="#/pipelines/${cmfIds.pipeline}"]`));
    for (const t of (await mlmd.getContextTypes({})).contextTypes)
      assert.ok(await page.isVisible(`a[href="#/contexts?type=${encodeURIComponent(t.name!)}"]`), t.name);
    await shot('overview');
  });

  it("under /t/<tenant>/ the UI shows that tenant's store only", async () => {
    const tenant = new MlmdClient(server.grpc, { deadlineMs: 30_000, tenant: 'team-a' });
    try {
      await tenant.putContextType({ contextType: { name: 'TeamAOnly', properties: {} } });
    } finally {
      tenant.close();
    }
    await page.goto(`${server.http}/t/team-a/#/`);
    assert.equal(await settle(), 'Overview');
    assert.ok(await page.isVisible(`a[href="#/contexts?type=TeamAOnly"]`));
    assert.ok(!(await page.isVisible(`a[href="#/pipelines/${cmfIds.pipeline}"]`)));
    await shot('tenant-overview');
    assert.equal(await open('#/'), 'Overview');
    assert.ok(!(await page.isVisible(`a[href="#/contexts?type=TeamAOnly"]`)));
  });

  it('executions table: rows equal the store, and paging reaches the last row', async () => {
    const store = await allExecutions();
    assert.ok(store.length > 40, 'the workload spans three pages');
    assert.equal(await open('#/executions'), 'Executions');
    await shot('executions');
    const seen: string[] = [];
    for (let p = 0; ; p++) {
      const ids = await tableIds();
      seen.push(...ids);
      for (const id of ids.slice(0, 3)) {
        const x = store.find((e) => String(e.id) === id)!;
        const cells = await rowCells(id);
        assert.equal(cells[0], id);
        assert.equal(cells[2], x.type);
        assert.equal(cells[3], x.lastKnownState === undefined ? '' : execution_StateToJSON(x.lastKnownState));
      }
      if (await page.isDisabled('button:has-text("Next page")')) break;
      await click('button:has-text("Next page")');
      assert.match(page.url(), /[?&]page=/, 'the page token is in the URL');
    }
    assert.deepEqual(
      seen,
      store.map((e) => String(e.id)),
    );
    assert.match((await page.textContent('[data-testid=page-range]'))!, /\(last page\)/);
    await shot('executions-last-page');
    await click('button:has-text("Previous page")');
    assert.deepEqual(await tableIds(), seen.slice(20, 40));
  });

  it('sorting by id and by create time, as the server orders them', async () => {
    await open('#/executions');
    await click('th button:has-text("ID")');
    assert.equal(await page.getAttribute('th[aria-sort]', 'aria-sort'), 'ascending');
    assert.deepEqual(
      await tableIds(),
      (await allExecutions(OrderField.ID, true)).slice(0, 20).map((e) => String(e.id)),
    );
    await click('th button:has-text("Created")');
    assert.deepEqual(
      await tableIds(),
      (await allExecutions(OrderField.CREATE_TIME, false)).slice(0, 20).map((e) => String(e.id)),
    );
  });

  it('filter_query narrows the rows (typed with the keyboard); an invalid one is reported at the field', async () => {
    const filter = "custom_properties.task_name.string_value = 'train'";
    await open('#/executions');
    await page.focus('#filter-query');
    await page.keyboard.type(filter);
    await page.keyboard.press('Enter');
    await settle();
    const expected = (await mlmd.getExecutions({ options: { filterQuery: filter, maxResultSize: 100 } })).executions;
    assert.equal(expected.length, 8);
    assert.deepEqual((await tableIds()).sort(), expected.map((e) => String(e.id)).sort());
    assert.match(decodeURIComponent(page.url()), /filter=custom_properties\.task_name/);
    await shot('executions-filtered');

    const bad = "name = 'x' AND";
    await page.fill('#filter-query', bad);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#filter-error');
    const native = await mlmd.getExecutions({ options: { filterQuery: bad } }).then(
      () => assert.fail('the server accepted an invalid filter'),
      (e: { details: string }) => e.details,
    );
    assert.equal((await page.textContent('#filter-error'))!.trim(), native);
    assert.equal(await page.getAttribute('#filter-query', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#filter-query', 'aria-describedby'), 'filter-error');
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      'filter-query',
      'focus stays where the user typed',
    );
    assert.equal(await page.$('[data-testid=node-table]'), null);
    await shot('executions-filter-error');
  });

  it('artifacts by type, and contexts by type (a Kubeflow store is browsable)', async () => {
    await open('#/artifacts');
    await page.selectOption('.type-picker select', 'system.Model');
    assert.equal(await settle(), 'Artifacts of type system.Model');
    const models = (await mlmd.getArtifactsByType({ typeName: 'system.Model' })).artifacts;
    assert.deepEqual(await tableIds(), models.map((a) => String(a.id)).reverse());
    await shot('artifacts-by-type');

    assert.equal(await open('#/contexts?type=system.PipelineRun'), 'Contexts of type system.PipelineRun');
    assert.deepEqual(await tableIds(), kfp.runContexts.map(String).reverse());
    await shot('contexts-by-type');
  });

  it('artifact page: every property and custom property with its type, events and contexts that link', async () => {
    const id = kfp.metrics[0];
    const [a] = (await mlmd.getArtifactsById({ artifactIds: [id] })).artifacts;
    await open(`#/artifacts/${id}`);
    await shot('artifact');
    const rows = await page.$$eval('[data-testid=custom-properties] tbody tr[data-property]', (trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-property'),
        tr.querySelector('.type')!.textContent,
        tr.querySelector('.value')!.textContent,
      ]),
    );
    const expected = Object.entries(a.customProperties!)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, v]) => [k, ...shown(v)]);
    assert.deepEqual(rows, expected);
    assert.match((await page.textContent('[data-testid=summary]'))!, new RegExp(a.uri!.replace(/[/.]/g, '\\$&')));
    const events = (await mlmd.getEventsByArtifactIDs({ artifactIds: [id] })).events;
    assert.equal(await page.locator('[data-testid=events] tbody tr').count(), events.length);
    assert.ok(await page.isVisible(`[data-testid=contexts] a[href="#/contexts/${kfp.runContexts[0]}"]`));
    assert.equal(
      await click(`[data-testid=events] a[href="#/executions/${events[0].executionId}"]`),
      'Execution evaluate',
    );
  });

  it('CMF execution page: parameters, metrics and the artifacts it read and wrote', async () => {
    const id = cmfIds.trainExecution;
    const [x] = (await mlmd.getExecutionsById({ executionIds: [id] })).executions;
    await open(`#/executions/${id}`);
    await shot('execution-cmf');
    const params = await page.$$eval('[data-testid=custom-properties] tbody tr[data-property]', (trs) =>
      trs.map((tr) => tr.getAttribute('data-property')),
    );
    assert.deepEqual(params, Object.keys(x.customProperties!).sort());
    const declared = await page.locator('[data-testid=properties] tbody tr[data-property]').count();
    assert.equal(declared, Object.keys(x.properties!).length);
    const metrics = await page.$$eval('[data-testid=metrics] tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('.value')!.textContent]),
    );
    assert.deepEqual(metrics.sort(), [
      ['accuracy', '0.97'],
      ['loss', '0.08'],
    ]);
    const events = (await mlmd.getEventsByExecutionIDs({ executionIds: [id] })).events;
    assert.equal(await page.locator('[data-testid=events] tbody tr').count(), events.length);
  });

  it('context page: parents, children and members, with a link to its executions as a table', async () => {
    await open(`#/contexts/${kfp.runContexts[0]}`);
    await shot('context');
    assert.ok(await page.isVisible(`[data-testid=parents] a[href="#/contexts/${kfp.pipelineContext}"]`));
    assert.equal(await page.locator('[data-testid=member-executions] li').count(), 5);
    await click('a:has-text("As a table") >> nth=0');
    const members = (await mlmd.getExecutionsByContext({ contextId: kfp.runContexts[0] })).executions;
    assert.deepEqual((await tableIds()).sort(), members.map((e) => String(e.id)).sort());
    await open(`#/contexts/${kfp.pipelineContext}`);
    assert.equal(await page.locator('[data-testid=children] li').count(), kfp.runContexts.length);
  });

  it("CMF pipeline: its stages and each stage's executions", async () => {
    await open('#/pipelines');
    assert.equal(await click(`a[href="#/pipelines/${cmfIds.pipeline}"]`), `Pipeline ${cmfIds.pipeline}`);
    await shot('pipeline');
    const stages = (await cmf.getPipelineStages({ pipelineName: cmfIds.pipeline })).stageNames;
    assert.deepEqual(await page.$$eval('section.stage', (s) => s.map((x) => x.getAttribute('data-stage'))), stages);
    for (const stage of stages!) {
      const executions = (await cmf.getExecutionsInStage({ stageName: stage })).executions;
      const ids = await page.$$eval(`section.stage[data-stage="${stage}"] tbody tr[data-id]`, (trs) =>
        trs.map((t) => (t as HTMLElement).dataset.id),
      );
      assert.deepEqual(
        ids,
        executions!.map((e) => String(e.id)),
      );
    }
  });

  it('model card: the model, its producer with parameters, its inputs and metrics', async () => {
    await open(`#/artifacts/${cmfIds.model}`);
    assert.match(await click('a:has-text("Model card")'), /^Model card: model\/rf\.pkl:/);
    await shot('model-card');
    assert.ok(await page.isVisible(`[data-testid=producer] a[href="#/executions/${cmfIds.trainExecution}"]`));
    assert.ok(await page.isVisible(`[data-testid=inputs] a[href="#/artifacts/${cmfIds.trainDataset}"]`));
    const metricNames = await page.$$eval('[data-testid=metrics] tbody th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(metricNames.sort(), ['accuracy', 'avg_precision', 'loss', 'roc_auc']);
  });

  /** The graph's nodes and edges as drawn. */
  async function drawnGraph() {
    await page.waitForSelector('[data-testid=lineage-graph]');
    return page.evaluate(() => ({
      nodes: [...document.querySelectorAll('.node')].map((n) => n.getAttribute('data-key')!).sort(),
      edges: [...document.querySelectorAll('.edge')]
        .map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}`)
        .sort(),
    }));
  }
  /** GetLineageSubgraph's answer as node keys and data-flow edges. */
  async function subgraph(start: string, hops: number, direction = Direction.BIDIRECTIONAL) {
    const filter = { filterQuery: `id = ${start.slice(2)}` };
    const g = (
      await mlmd.getLineageSubgraph({
        lineageSubgraphQueryOptions: {
          startingNodes: start.startsWith('a:')
            ? { $case: 'startingArtifacts', value: filter }
            : { $case: 'startingExecutions', value: filter },
          maxNumHops: BigInt(hops),
          direction,
        },
      })
    ).lineageSubgraph!;
    const inputs = [Event_Type.INPUT, Event_Type.DECLARED_INPUT, Event_Type.INTERNAL_INPUT];
    return {
      nodes: [...g.artifacts!.map((a) => `a:${a.id}`), ...g.executions!.map((e) => `e:${e.id}`)].sort(),
      edges: g.events!.map((e) =>
        inputs.includes(e.type!) ? `a:${e.artifactId}>e:${e.executionId}` : `e:${e.executionId}>a:${e.artifactId}`,
      ),
    };
  }
  const union = (...lists: string[][]) => [...new Set(lists.flat())].sort();

  it("lineage graph: nodes and edges equal GetLineageSubgraph's answer, drawn by kind and type", async () => {
    for (const [start, hops, name] of [
      [`a:${cmfIds.model}`, 4, 'lineage-cmf'],
      [`a:${kfp.models[0]}`, 3, 'lineage-kfp'],
    ] as const) {
      await open(`#/lineage/artifact/${start.slice(2)}?hops=${hops}&dir=both`);
      await shot(name);
      const drawn = await drawnGraph();
      const answer = await subgraph(start, hops);
      assert.deepEqual(drawn.nodes, answer.nodes);
      assert.deepEqual(drawn.edges, union(answer.edges));
      assert.ok(await page.isVisible(`.node.start[data-key="${start}"]`));
    }
    // Kinds differ in shape, artifact types in family (colour).
    assert.equal(
      await page.locator('.node.execution polygon.shape').count(),
      await page.locator('.node.execution').count(),
    );
    assert.equal(await page.locator('.node.fam-model').count(), 1);
    assert.equal(await page.locator('.node.fam-metrics').count(), 2);
    // One direction only.
    await page.selectOption('select[name=direction]', 'upstream');
    await click('button:has-text("Show")');
    assert.deepEqual((await drawnGraph()).nodes, (await subgraph(`a:${kfp.models[0]}`, 3, Direction.UPSTREAM)).nodes);
  });

  it('lineage graph: clicking a node opens it; a node expands in place; a path is highlighted; zoom and pan', async () => {
    const start = `a:${kfp.models[0]}`;
    await open(`#/lineage/artifact/${kfp.models[0]}?hops=1&dir=both`);
    const before = await drawnGraph();
    const train = before.nodes.find((k) => k === `e:${kfp.trainExecution}`)!;
    assert.ok(train, 'the producing execution is one hop away');
    // Expand: the graph becomes the union of both subgraphs, and the URL records it.
    await click(`.node[data-key="${train}"] .expand`);
    const expanded = await drawnGraph();
    const a = await subgraph(start, 1);
    const b = await subgraph(train, 1);
    assert.deepEqual(expanded.nodes, union(a.nodes, b.nodes));
    assert.deepEqual(expanded.edges, union(a.edges, b.edges));
    assert.match(decodeURIComponent(page.url()), new RegExp(`expand=${train}`));
    await shot('lineage-expanded');

    // Path: pick two nodes; the nodes and edges between them light up; the URL reopens it.
    const features = expanded.nodes.find((k) => k.startsWith('a:') && k !== start && !a.nodes.includes(k))!;
    await page.click('button:has-text("Highlight a path")');
    await page.click(`.node[data-key="${features}"]`);
    await page.click(`.node[data-key="${start}"]`);
    await settle();
    await page.waitForSelector('.node.on-path');
    const onPath = await page.$$eval('.node.on-path', (ns) => ns.map((n) => n.getAttribute('data-key')).sort());
    assert.deepEqual(onPath, [features, start, train].sort());
    assert.equal(await page.locator('.edge.on-path').count(), 2);
    assert.match((await page.textContent('.hint')) ?? '', /Path from artifact features to artifact model: 2 edges\./);
    await shot('lineage-path');
    const link = page.url();
    await page.goto('about:blank');
    await page.goto(link);
    await settle();
    assert.equal(await page.locator('.edge.on-path').count(), 2, 'the deep link reopens the highlighted path');

    // Zoom (button, wheel, keyboard) and pan (drag) move the viewport.
    const transform = () => page.getAttribute('.viewport', 'transform');
    const t0 = await transform();
    await page.click('button[aria-label="Zoom in"]');
    const t1 = await transform();
    assert.notEqual(t1, t0);
    const box = (await page.locator('[data-testid=lineage-graph]').boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + 20);
    await page.mouse.wheel(0, 300);
    const t2 = await transform();
    assert.notEqual(t2, t1);
    await page.mouse.down();
    await page.mouse.move(box.x + 120, box.y + 80, { steps: 4 });
    await page.mouse.up();
    assert.notEqual(await transform(), t2);
    await page.focus('[data-testid=lineage-graph]');
    const z = await page.textContent('.zoom-level');
    await page.keyboard.press('-');

    assert.notEqual(await page.textContent('.zoom-level'), z);

    // Keyboard: Tab reaches a node, Enter opens it; a click does the same.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-key'));
    assert.ok(focused, 'Tab moves from the graph to its first node');
    await page.keyboard.press('Enter');
    await settle();
    assert.equal(
      page.url().split('#')[1],
      `/${focused!.startsWith('a:') ? 'artifacts' : 'executions'}/${focused!.slice(2)}`,
    );
    await page.goBack();
    await settle();
    await click(`.node[data-key="${train}"]`);
    assert.equal(page.url().split('#')[1], `/executions/${kfp.trainExecution}`);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'page-title', 'focus moves to the new view');
  });

  it('deep links: a table with type, filter, sort and page reopens exactly', async () => {
    await open("#/artifacts?filter=uri%20LIKE%20'minio%3A%25'&sort=CREATE_TIME&asc=1");
    await click('button:has-text("Next page")');
    const link = page.url();
    const ids = await tableIds();
    const fresh = await browser.newPage();
    await fresh.goto(link);
    await fresh.waitForFunction(() => !!document.querySelector('[data-testid=node-table]'));
    assert.deepEqual(
      await fresh.$$eval('[data-testid=node-table] tbody tr[data-id]', (r) =>
        r.map((x) => (x as HTMLElement).dataset.id),
      ),
      ids,
    );
    assert.equal(await fresh.inputValue('#filter-query'), "uri LIKE 'minio:%'");
    await fresh.close();
  });

  it('failed queries and unknown pages say so', async () => {
    await open('#/artifacts/999999');
    assert.match((await page.textContent('[role=alert]'))!, /NOT_FOUND.*999999/);
    await shot('not-found-artifact');
    assert.equal(await open('#/no/such/view'), 'No such page');
    assert.deepEqual(pageErrors, [], 'no script errors or CSP violations in any view so far');
  });

  it('a clear message when the server is unreachable', async () => {
    await open('#/executions');
    await server.stop();
    await page.click('a[href="#/artifacts"]');
    await page.waitForSelector('.failure.unreachable');
    assert.match(
      (await page.textContent('.failure'))!,
      /cannot be reached.*no answer from http:\/\/127\.0\.0\.1:\d+ \(/,
    );
    assert.doesNotMatch((await page.textContent('.failure'))!, /object Object/);
    assert.ok(await page.isVisible('.failure button:has-text("Retry")'));
    await shot('server-unreachable');
  });
});

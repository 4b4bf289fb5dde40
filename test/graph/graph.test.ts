/**
 * The Neo4j projection against a real Neo4j 5.26 (no driver mocks): MLMD writes through gRPC arrive as the plain
 * projection; a cmflib-shaped pipeline gives CMF's graph and the seed's Cypher query answers as expected; Neo4j
 * stopped in the middle of a logging run loses and duplicates nothing; resync of a store written with the graph
 * off equals live projection. Expected CMF shapes are derived from cmf.md §6 (cmflib itself is not run here).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Event_Type, PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import { resync, startGraphProjection } from '../../src/graph';
import { GRAPH_DEFAULTS } from '../../src/graph/config';
import { createMlmdApi } from '../../src/mlmd/store';
import { openDatabase } from '../../src/storage/open';
import { outboxLag } from '../../src/graph/outbox';
import { intValue, stringValue } from '../helpers/mlmd';
import {
  clearNeo4j,
  cypher,
  dumpGraph,
  graphCounts,
  type GraphServer,
  type Neo4jServer,
  startGraphServer,
  startNeo4j,
  waitForDrain,
} from './harness';
import { CmfLikeWriter, cmfWorkload, HASH, kfpWorkload, TRICKY } from './workloads';

let neo: Neo4jServer;

before(async () => {
  neo = await startNeo4j();
});

after(async () => {
  await neo?.dispose();
});

async function withServer<T>(graph: boolean, body: (s: GraphServer) => Promise<T>): Promise<T> {
  const s = await startGraphServer(graph ? neo.uri : undefined);
  try {
    return await body(s);
  } finally {
    await s.stop();
  }
}

describe('plain MLMD projection', () => {
  test('gRPC writes appear as MlmdArtifact/MlmdExecution/MlmdContext nodes and event/link relationships', async () => {
    await clearNeo4j(neo.driver);
    await withServer(true, async (s) => {
      const r = await kfpWorkload(s.client);
      await waitForDrain(s);
      const { nodes, rels } = await graphCounts(neo.driver);
      assert.equal(nodes.MlmdArtifact, 3);
      assert.equal(nodes.MlmdExecution, 2);
      assert.equal(nodes.MlmdContext, 2);
      assert.deepEqual(
        {
          INPUT: rels.INPUT,
          OUTPUT: rels.OUTPUT,
          ATTRIBUTION: rels.ATTRIBUTION,
          ASSOCIATION: rels.ASSOCIATION,
          PARENT_CONTEXT: rels.PARENT_CONTEXT,
        },
        { INPUT: 2, OUTPUT: 2, ATTRIBUTION: 3, ASSOCIATION: 2, PARENT_CONTEXT: 1 },
      );
      // No CMF shape for non-CMF types.
      assert.equal(nodes.Execution, undefined);
      assert.equal(nodes.Dataset, undefined);

      // Values survive exactly: quotes, backslashes, newline, Unicode, emoji, Cypher-looking text.
      const [a] = await cypher(neo.driver, 'MATCH (a:MlmdArtifact {id: $id}) RETURN a', { id: r.artifacts[0] });
      const props = (a.a as { properties: Record<string, unknown> }).properties;
      assert.equal(props['properties.note'], TRICKY);
      assert.equal(props.uri, 's3://b/in');
      assert.equal(props.type, 'system.Dataset');
      const [x] = await cypher(
        neo.driver,
        'MATCH (x:MlmdExecution {name: $name}) RETURN x.`custom_properties.flag` AS flag',
        { name: `eval ${TRICKY}` },
      );
      assert.equal(x.flag, true);
      const [c] = await cypher(
        neo.driver,
        'MATCH (c:MlmdContext {name: \'pipeline/"p1"\'}) RETURN c.`custom_properties.owner` AS o',
      );
      assert.equal(c.o, TRICKY);
      const [m] = await cypher(
        neo.driver,
        "MATCH (:MlmdExecution)-[e:OUTPUT]->(a:MlmdArtifact {name: 'metrics'}) RETURN a.uri AS uri, e.path AS path",
      );
      assert.equal(m.uri, 's3://b/metrics\\"x');
      assert.equal(m.path, '[0]');
      const [lr] = await cypher(
        neo.driver,
        "MATCH (x:MlmdExecution {name: 'train'}) RETURN x.`custom_properties.lr` AS lr, x.`custom_properties.n` AS n",
      );
      assert.equal(lr.lr, 0.1);
      assert.equal(Number(lr.n), 3);

      // An update re-projects the node (properties replaced, not appended).
      await s.client
        .putArtifacts({
          artifacts: [{ id: r.artifacts[0], typeId: undefined, uri: 's3://b/in2', name: 'in', properties: {} }],
        })
        .catch(async () => {
          const [art] = (await s.client.getArtifactsById({ artifactIds: [r.artifacts[0]] })).artifacts;
          await s.client.putArtifacts({ artifacts: [{ ...art, uri: 's3://b/in2', properties: {} }] });
        });
      await waitForDrain(s);
      const [a2] = await cypher(
        neo.driver,
        'MATCH (a:MlmdArtifact {id: $id}) RETURN a.uri AS uri, a.`properties.note` AS note',
        { id: r.artifacts[0] },
      );
      assert.equal(a2.uri, 's3://b/in2');
      assert.equal(a2.note, null);
    });
  });
});

describe("CMF's graph", () => {
  test('a cmflib-shaped pipeline gives the CMF labels, relationships and properties', async () => {
    await clearNeo4j(neo.driver);
    await withServer(true, async (s) => {
      const w = await cmfWorkload(s.client);
      await waitForDrain(s);
      const { nodes, rels } = await graphCounts(neo.driver);
      const cmfNodes = Object.fromEntries(
        [
          'Pipeline',
          'Stage',
          'Execution',
          'Dataset',
          'Label',
          'Environment',
          'Model',
          'Metrics',
          'Step_Metrics',
          'Dataslice',
        ].map((l) => [l, nodes[l] ?? 0]),
      );
      assert.deepEqual(cmfNodes, {
        Pipeline: 1,
        Stage: 3,
        Execution: 3,
        Dataset: 3,
        Label: 1,
        Environment: 1,
        Model: 1,
        Metrics: 2,
        Step_Metrics: 0,
        Dataslice: 0,
      });
      const cmfRels = Object.fromEntries(
        ['contains', 'runs', 'input', 'output', 'linked', 'has_label', 'Prepare', 'Train', 'Evaluate'].map((t) => [
          t,
          rels[t] ?? 0,
        ]),
      );
      assert.deepEqual(cmfRels, {
        contains: 3,
        runs: 3,
        input: 7,
        output: 5,
        linked: 3,
        has_label: 1,
        Prepare: 2,
        Train: 2,
        Evaluate: 2,
      });

      // The seed's query.
      const rows = await cypher(
        neo.driver,
        'MATCH (a:Execution)-[r]-(b) WHERE (b:Dataset or b:Model or b:Metrics) RETURN a,r,b',
      );
      assert.equal(rows.length, 9);
      const seen = rows
        .map((row) => {
          const a = row.a as { properties: Record<string, string> };
          const r = row.r as { type: string; startNodeElementId: string };
          const b = row.b as { labels: string[]; properties: Record<string, unknown>; elementId: string };
          const name =
            b.labels.includes('Metrics') || b.labels.includes('Model')
              ? String(b.properties.Name).split(':')[0]
              : (b.properties.Name as string[])[0];
          const dir = r.startNodeElementId === b.elementId ? '<-' : '->';
          return `${a.properties.Name.split(',')[1]} ${dir}${r.type} ${b.labels[0]}:${name}`;
        })
        .sort();
      assert.deepEqual(
        seen,
        [
          'Evaluate ->output Metrics:metrics',
          'Evaluate <-input Dataset:train.tsv',
          'Evaluate <-input Model:artifacts/model.pkl',
          'Prepare ->output Dataset:test.tsv',
          'Prepare ->output Dataset:train.tsv',
          'Prepare <-input Dataset:data.xml.gz',
          'Train ->output Model:artifacts/model.pkl',
          'Train ->output Metrics:training_metrics',
          'Train <-input Dataset:train.tsv',
        ].sort(),
      );

      // Node properties as cmflib stores them.
      const [p] = await cypher(
        neo.driver,
        'MATCH (p:Pipeline)-[:contains]->(s:Stage {Name: "Test-env/Prepare"}) RETURN p, s',
      );
      const pp = (p.p as { properties: Record<string, unknown> }).properties;
      assert.deepEqual(pp, {
        Name: 'Test-env',
        uri: String(w.pipelineId),
        pipeline_id: String(w.pipelineId),
        pipeline_name: 'Test-env',
      });
      const sp = (p.s as { properties: Record<string, unknown> }).properties;
      assert.equal(sp.usermetadata1, 'metadata_value', 'keys lose their non-word characters');
      assert.equal(sp.pipeline_name, 'Test-env');

      const [x] = await cypher(
        neo.driver,
        'MATCH (:Stage {Name: "Test-env/Prepare"})-[:runs]->(x:Execution) RETURN properties(x) AS p',
      );
      const xp = x.p as Record<string, string>;
      assert.match(xp.Name, /^\d+,Prepare$/);
      assert.equal(xp.Command, "['src/prepare.py']");
      assert.equal(xp.pipeline_name, 'Test-env');
      assert.equal(xp.seed, '20220520');
      assert.equal(xp.split, '0.2');
      assert.equal(xp.Python_Env, 'cmf_artifacts/python_env_abc.txt');
      assert.equal(xp.uri, xp.Name.split(',')[0]);

      const [d] = await cypher(
        neo.driver,
        'MATCH (d:Dataset {uri: $uri})-[:has_label]->(l:Label) RETURN properties(d) AS d, properties(l) AS l',
        { uri: HASH.data },
      );
      const dp = d.d as Record<string, unknown>;
      assert.deepEqual(dp.Name, ['data.xml.gz']);
      assert.deepEqual(dp.Path, [`artifacts/data.xml.gz:${HASH.data}`]);
      assert.deepEqual(dp.pipeline_name, ['Test-env']);
      assert.deepEqual(dp.usermetadata1, [TRICKY]);
      assert.deepEqual(dp.labels_uri, [`artifacts/labels.csv:${HASH.label}`]);
      assert.deepEqual(dp.Commit, [HASH.data]);
      const lp = d.l as Record<string, unknown>;
      assert.deepEqual(lp.dataset_uri, [HASH.data]);
      assert.deepEqual(lp.Name, ['labels.csv']);

      // The model's Name list: the creating execution's name, then the re-use by Evaluate.
      const [model] = await cypher(neo.driver, 'MATCH (m:Model) RETURN m.Name AS name');
      assert.equal((model.name as string[]).length, 2);
      assert.match((model.name as string[])[0], new RegExp(`^artifacts/model.pkl:${HASH.model}:\\d+$`));

      // linked: Prepare -> Train and Prepare -> Evaluate (train.tsv: the second consumer gets its edge too), Train -> Evaluate (model).
      const linked = (
        await cypher(
          neo.driver,
          'MATCH (a:Execution)-[l:linked]->(b:Execution) RETURN a.Name AS a, b.Name AS b, l.uri AS uri',
        )
      )
        .map((l) => `${String(l.a).split(',')[1]}->${String(l.b).split(',')[1]}:${l.uri as string}`)
        .sort();
      assert.deepEqual(linked, [
        `Prepare->Evaluate:${HASH.train}`,
        `Prepare->Train:${HASH.train}`,
        `Train->Evaluate:${HASH.model}`,
      ]);

      // Execution-typed lineage edges carry the execution's label properties.
      const lineage = await cypher(
        neo.driver,
        'MATCH (a:Dataset)-[e:Train]->(b) RETURN labels(b)[0] AS l, properties(e) AS p ORDER BY l',
      );
      assert.deepEqual(
        lineage.map((l) => l.l),
        ['Metrics', 'Model'],
      );
      const ep = lineage[0].p as Record<string, string>;
      assert.equal(ep.max_depth, '2');
      assert.match(ep.Execution_Name, /^Train:\d+$/);

      // Metrics values are strings (Python str of the double).
      const [mt] = await cypher(
        neo.driver,
        "MATCH (m:Metrics) WHERE m.Name STARTS WITH 'training_metrics' RETURN m.auc AS auc, m.loss AS loss",
      );
      assert.deepEqual([mt.auc, mt.loss], ['0.91', '1e-05']);

      // And the plain projection of the same records is there as well.
      assert.equal(nodes.MlmdExecution, 3);
    });
  });
  test('a dataset logged again under other paths and by another pipeline keeps each path and pipeline once, the latest last', async () => {
    await clearNeo4j(neo.driver);
    await withServer(true, async (s) => {
      const hash = 'ab'.repeat(16);
      const first = new CmfLikeWriter(s.client);
      await first.startPipeline('P1');
      await first.createContext('prepare');
      await first.createExecution('Prepare', {}, HASH.env);
      await first.logArtifact('Dataset', 'a/x.csv', hash, 'output');
      await first.createExecution('Train', {}, HASH.env);
      await first.logArtifact('Dataset', 'b/y.csv', hash, 'input');
      const second = new CmfLikeWriter(s.client);
      await second.startPipeline('P2');
      await second.createContext('evaluate');
      await second.createExecution('Evaluate', {}, HASH.env);
      await second.logArtifact('Dataset', 'a/x.csv', hash, 'input');
      await waitForDrain(s);
      const [d] = await cypher(neo.driver, 'MATCH (d:Dataset {uri: $uri}) RETURN properties(d) AS p', { uri: hash });
      const p = d.p as Record<string, unknown>;
      assert.deepEqual(p.Path, [`b/y.csv:${hash}`, `a/x.csv:${hash}`]);
      assert.deepEqual(p.Name, ['y.csv', 'x.csv']);
      assert.deepEqual(p.pipeline_name, ['P1', 'P2']);
      assert.deepEqual(p.pipeline_id, [String(first.pipelineId), String(second.pipelineId)]);
    });
  });
});

describe('dependability', () => {
  test('Neo4j stopped in the middle of a logging run: calls keep succeeding; every change arrives, none twice', async () => {
    await clearNeo4j(neo.driver);
    await withServer(true, async (s) => {
      const t = (
        await s.client.putExecutionType({ executionType: { name: 'Step', properties: { i: PropertyType.INT } } })
      ).typeId!;
      const at = (await s.client.putArtifactType({ artifactType: { name: 'Out', properties: {} } })).typeId!;
      const log = async (i: number): Promise<number> => {
        const started = Date.now();
        const x = (
          await s.client.putExecutions({
            executions: [{ typeId: t, name: `step-${i}`, properties: { i: intValue(i) } }],
          })
        ).executionIds[0];
        const a = (
          await s.client.putArtifacts({
            artifacts: [{ typeId: at, uri: `u${i}`, name: `out-${i}`, customProperties: { q: stringValue(`"${i}"`) } }],
          })
        ).artifactIds[0];
        await s.client.putEvents({ events: [{ artifactId: a, executionId: x, type: Event_Type.OUTPUT }] });
        return Date.now() - started;
      };
      for (let i = 0; i < 20; i++) await log(i);
      await neo.stop();
      try {
        let slowest = 0;
        for (let i = 20; i < 60; i++) slowest = Math.max(slowest, await log(i));
        const lag = await outboxLag(s.db);
        assert.ok(lag.rows > 0, 'changes wait in the outbox while Neo4j is down');
        assert.ok(slowest < 2_000, `MLMD calls are not held up by a down Neo4j (slowest ${slowest} ms)`);
        // The worker's attempt against the stopped server may still be connecting when logging ends: wait for it.
        const deadline = Date.now() + 60_000;
        while (s.projection!.status().failures === 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        assert.ok(s.projection!.status().failures > 0, 'the worker saw Neo4j fail');
      } finally {
        // Restarted whatever happened above, so the next test finds Neo4j up.
        await neo.start();
      }
      for (let i = 60; i < 80; i++) await log(i);
      await waitForDrain(s, 180_000);
      const { nodes, rels } = await graphCounts(neo.driver);
      assert.equal(nodes.MlmdExecution, 80);
      assert.equal(nodes.MlmdArtifact, 80);
      assert.equal(rels.OUTPUT, 80);
      const dupes = await cypher(
        neo.driver,
        'MATCH (x:MlmdExecution) WITH x.name AS n, count(*) AS c WHERE c > 1 RETURN n',
      );
      assert.equal(dupes.length, 0);
      const [q] = await cypher(
        neo.driver,
        "MATCH (a:MlmdArtifact {name: 'out-42'}) RETURN a.`custom_properties.q` AS q",
      );
      assert.equal(q.q, '"42"');
    });
  });

  test('resync of a store written with the graph off equals live projection, and is idempotent', async () => {
    await clearNeo4j(neo.driver);
    let live: string[] = [];
    await withServer(true, async (s) => {
      await kfpWorkload(s.client);
      await cmfWorkload(s.client, 'P2');
      await waitForDrain(s);
      live = await dumpGraph(neo.driver);
    });
    await clearNeo4j(neo.driver);
    await withServer(false, async (s) => {
      await kfpWorkload(s.client);
      await cmfWorkload(s.client, 'P2');
      const report = await resync(s.db, neo.driver, { chunk: 7 });
      assert.ok(report.events > 0);
      const first = await dumpGraph(neo.driver);
      assert.deepEqual(first, live);
      await resync(s.db, neo.driver, { chunk: 1000 });
      assert.deepEqual(await dumpGraph(neo.driver), live, 'a second resync changes nothing');
      await resync(s.db, neo.driver, { clear: true });
      assert.deepEqual(await dumpGraph(neo.driver), live, 'resync --clear rebuilds the same graph');
    });
    assert.ok(live.length > 50, `the graph has content (${live.length} lines)`);
  });
});

describe('health', () => {
  test('with Neo4j unreachable, logging succeeds and the projection reports unhealthy once the lag passes the threshold', async () => {
    const s = await startGraphServer('bolt://127.0.0.1:1', { lagThresholdMs: 200 });
    try {
      const statuses: boolean[] = [];
      s.projection!.worker.onStatus((st) => statuses.push(st.healthy));
      await s.client.putContextType({ contextType: { name: 'T', properties: {} } });
      const t = (await s.client.getContextType({ typeName: 'T' })).contextType!.id!;
      await s.client.putContexts({ contexts: [{ typeId: t, name: 'c' }] });
      // Wait (bounded) for the worker's first failed attempt and for the lag to pass the threshold: the worker
      // thread may take seconds to start on a loaded machine, so a fixed pause is not enough.
      const deadline = Date.now() + 60_000;
      while (s.projection!.status().failures === 0 || s.projection!.status().lag.oldestAgeMs < 200) {
        assert.ok(Date.now() < deadline, `no failed attempt reported: ${JSON.stringify(s.projection!.status())}`);
        await s.projection!.worker.reportLag();
        await new Promise((r) => setTimeout(r, 50));
      }
      const lag = await s.projection!.worker.reportLag();
      assert.equal(lag.rows, 1);
      assert.ok(lag.oldestAgeMs >= 200);
      assert.equal(s.projection!.status().healthy, false);
      assert.equal(statuses.at(-1), false);
      assert.ok(s.projection!.status().failures > 0);
    } finally {
      await s.stop();
    }
  });
});

describe('worker placement', () => {
  test('the worker runs on its own thread over a file store, and in-process over an in-memory store; both drain', async () => {
    await withServer(true, async (s) => {
      assert.equal(s.projection!.threaded, true);
    });
    await clearNeo4j(neo.driver);
    const db = await openDatabase({ kind: 'sqlite', filenameUri: ':memory:' });
    const projection = await startGraphProjection(
      { ...GRAPH_DEFAULTS, uri: neo.uri, pollMs: 50, coalesceMs: 10, lagLogMs: 0 },
      db,
      {
        connection: { kind: 'sqlite', filenameUri: ':memory:' },
      },
    );
    try {
      assert.equal(projection.threaded, false);
      const api = createMlmdApi(projection.db);
      const { typeId } = await api.putContextType({ contextType: { name: 'InMemory', properties: {} } });
      await api.putContexts({ contexts: [{ typeId, name: 'ctx' }] });
      for (let i = 0; (await outboxLag(db)).rows > 0; i++) {
        assert.ok(i < 200, 'the in-process worker drains the outbox');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await graphCounts(neo.driver)).nodes.MlmdContext, 1);
    } finally {
      await projection.stop();
      await db.close();
    }
  });
});

/**
 * The graph projection's SQL on each backend, without Neo4j: the CMF pipeline of the graph suite (plus a dataset
 * logged again under another path and by a second pipeline) is written through gRPC, and `projectChanges` derives
 * the graph rows of every record. Run under MLMD_TEST_BACKEND=postgres, the rows derived from PostgreSQL must equal
 * the rows derived from SQLite for the same calls (the graph suite checks the SQLite rows against a real Neo4j).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { MlmdClient } from '../../src/client';
import { noChanges } from '../../src/graph/outbox';
import { projectChanges } from '../../src/graph/project';
import type { GraphRows } from '../../src/graph/rows';
import { createMlmdApi } from '../../src/mlmd/store';
import { startServer } from '../../src/server/server';
import type { Database } from '../../src/storage/database';
import { openDatabase } from '../../src/storage/open';
import { CmfLikeWriter, cmfWorkload, HASH } from '../graph/workloads';
import { openTestStore, TEST_BACKEND } from '../helpers/backend';

const REUSED = 'ab'.repeat(16);

async function logPipelines(db: Database): Promise<{ firstPipeline: bigint; secondPipeline: bigint }> {
  const server = await startServer({ api: createMlmdApi(db), port: 0, host: '127.0.0.1', shutdownGraceMs: 1_000 });
  const client = new MlmdClient(`127.0.0.1:${server.port}`, { deadlineMs: 30_000 });
  try {
    const first = await cmfWorkload(client);
    await first.createExecution('Prepare', {}, HASH.env);
    await first.logArtifact('Dataset', 'a/x.csv', REUSED, 'output');
    await first.createExecution('Train', {}, HASH.env);
    await first.logArtifact('Dataset', 'b/y.csv', REUSED, 'input');
    const second = new CmfLikeWriter(client);
    await second.startPipeline('P2');
    await second.createContext('evaluate');
    await second.createExecution('Evaluate', {}, HASH.env);
    await second.logArtifact('Dataset', 'a/x.csv', REUSED, 'input');
    return { firstPipeline: first.pipelineId, secondPipeline: second.pipelineId };
  } finally {
    client.close();
    await server.shutdown();
  }
}

/** Every record and link of the store as one change set, projected in one read transaction. */
async function projectAll(db: Database): Promise<GraphRows> {
  return db.transaction('read', async (tx) => {
    const ids = async (table: string): Promise<bigint[]> =>
      (await tx.all(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id as bigint);
    const pairs = async (sql: string): Promise<Array<[bigint, bigint]>> =>
      (await tx.all(sql)).map((r) => [r.a as bigint, r.b as bigint]);
    const changes = noChanges();
    changes.artifacts = await ids('Artifact');
    changes.executions = await ids('Execution');
    changes.contexts = await ids('Context');
    changes.events = await ids('Event');
    changes.attributions = await pairs('SELECT context_id AS a, artifact_id AS b FROM Attribution ORDER BY 1, 2');
    changes.associations = await pairs('SELECT context_id AS a, execution_id AS b FROM Association ORDER BY 1, 2');
    changes.parentContexts = await pairs(
      'SELECT context_id AS a, parent_context_id AS b FROM ParentContext ORDER BY 1, 2',
    );
    return projectChanges(tx, changes);
  });
}

const VOLATILE = new Set(['create_time_since_epoch', 'last_update_time_since_epoch', 'milliseconds_since_epoch']);

/** The rows as sorted JSON lines, clock values left out, so two stores written by the same calls compare equal. */
function canonical(rows: GraphRows): string[] {
  const lines: string[] = [];
  const strip = (v: unknown): unknown => {
    if (typeof v === 'bigint') return `${v}n`;
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !VOLATILE.has(k))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, x]) => [k, strip(x)]),
      );
    }
    return v;
  };
  for (const [key, list] of Object.entries(rows)) {
    const items = Array.isArray(list) ? list : Object.values(list as Record<string, unknown[]>).flat();
    for (const item of items) lines.push(`${key} ${JSON.stringify(strip(item))}`);
  }
  return lines.sort();
}

test(`the projection derives CMF's lists and edges from ${TEST_BACKEND}, as from SQLite`, async () => {
  const store = await openTestStore();
  let rows: GraphRows;
  let pipelines: { firstPipeline: bigint; secondPipeline: bigint };
  try {
    pipelines = await logPipelines(store.db);
    rows = await projectAll(store.db);
  } finally {
    await store.db.close();
    await store.remove();
  }

  // The reused dataset: each path and pipeline once, the most recent last.
  const reused = rows.cmfListArtifacts.find((a) => a.uri === REUSED)!;
  assert.deepEqual(reused.props.Path, [`b/y.csv:${REUSED}`, `a/x.csv:${REUSED}`]);
  assert.deepEqual(reused.props.Name, ['y.csv', 'x.csv']);
  assert.deepEqual(reused.props.pipeline_name, ['Test-env', 'P2']);
  assert.deepEqual(reused.props.pipeline_id, [String(pipelines.firstPipeline), String(pipelines.secondPipeline)]);
  // train.tsv: one producer, two consumers, two linked edges (cmflib links only the first). Each edge is derived
  // from both of its events; Neo4j's MERGE makes them one.
  assert.equal(new Set(rows.cmfLinked.filter((l) => l.uri === HASH.train).map((l) => `${l.from}->${l.to}`)).size, 2);
  // The model's Name list: its creation, then its reuse by Evaluate as `<path>:<hash>:<execution>`.
  const model = rows.cmfListArtifacts.find((a) => a.label === 'Model')!;
  assert.equal((model.props.Name as string[]).length, 2);

  if (TEST_BACKEND === 'sqlite') return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-projection-'));
  const sqlite = await openDatabase({ kind: 'sqlite', filenameUri: path.join(dir, 'mlmd.sqlite') });
  try {
    await logPipelines(sqlite);
    assert.deepEqual(canonical(rows), canonical(await projectAll(sqlite)));
  } finally {
    await sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

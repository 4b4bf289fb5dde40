/**
 * Generates the query benchmark's store: a SQLite file in MLMD's schema v10, filled with direct bulk SQL.
 *
 * The schema comes from our own openDatabase (so the file is exactly what the server creates), then the data goes
 * in with better-sqlite3 prepared statements in large transactions, with journalling off and a big page cache.
 * The file is cached under .bench/ keyed by scale and generator version, so reruns skip generation.
 *
 * Shape (N artifacts, N executions, 4N events, N/10 contexts at the full scale):
 *   - artifacts `artifact-<i>`, two artifact types, state LIVE, uri; every artifact has the custom int property
 *     `bucket` = i mod 1000 and the type-declared string property `split` (train / eval / test);
 *   - executions `execution-<j>` of one type, state COMPLETE, custom int property `step` = j mod 100;
 *   - contexts `ctx-<k>` with a custom string property `owner`; artifacts and executions are attributed / associated
 *     to contexts in runs of N / contexts consecutive ids;
 *   - events: execution j reads artifact j-1 and a pseudo-random artifact, and writes artifact j and artifact
 *     j + N/2, so following events walks a long chain with some fan-out (lineage has depth).
 */
import BetterSqlite3 from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { openDatabase } from '../src/storage/open';
import { BENCH_DIR, log } from './lib';

const GENERATOR_VERSION = 1;

export interface StoreScale {
  artifacts: number;
  executions: number;
  contexts: number;
}

export const FULL_SCALE: StoreScale = { artifacts: 1_000_000, executions: 1_000_000, contexts: 100_000 };
export const QUICK_SCALE: StoreScale = { artifacts: 20_000, executions: 20_000, contexts: 2_000 };

export const BUCKETS = 1000;
const BASE_TIME = 1_700_000_000_000;

export function storePath(scale: StoreScale): string {
  return path.join(
    BENCH_DIR,
    `query-store-v${GENERATOR_VERSION}-a${scale.artifacts}-x${scale.executions}-c${scale.contexts}.sqlite`,
  );
}

/** Returns the cached file for this scale, generating it first when absent. */
export async function ensureStore(scale: StoreScale): Promise<string> {
  const file = storePath(scale);
  if (fs.existsSync(file)) {
    log(`using cached store ${path.relative(process.cwd(), file)}`);
    return file;
  }
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const tmp = `${file}.partial`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) fs.rmSync(f, { force: true });
  const t0 = Date.now();
  // 1. schema, exactly as our server creates it
  const db = await openDatabase({ kind: 'sqlite', filenameUri: tmp });
  await db.close();
  // 2. bulk data
  const conn = new BetterSqlite3(tmp);
  conn.pragma('journal_mode = OFF');
  conn.pragma('synchronous = OFF');
  conn.pragma('cache_size = -2000000'); // ~2 GB of page cache: index maintenance stays in memory
  conn.pragma('temp_store = MEMORY');
  fill(conn, scale);
  conn.pragma('journal_mode = DELETE');
  conn.close();
  fs.renameSync(tmp, file);
  log(
    `generated ${path.relative(process.cwd(), file)} in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
      `(${(fs.statSync(file).size / 1e9).toFixed(2)} GB)`,
  );
  return file;
}

function fill(conn: BetterSqlite3.Database, s: StoreScale): void {
  const N = s.artifacts;
  const X = s.executions;
  const C = s.contexts;
  const typeId = (name: string, kind: number) => {
    conn.prepare('INSERT INTO Type (name, type_kind) VALUES (?, ?)').run(name, kind);
    return Number(
      (conn.prepare('SELECT id FROM Type WHERE name = ? AND type_kind = ?').get(name, kind) as { id: number }).id,
    );
  };
  const artifactTypes = [typeId('bench.Dataset', 1), typeId('bench.Model', 1)];
  const executionType = typeId('bench.Trainer', 0);
  const contextType = typeId('bench.PipelineRun', 2);
  const typeProp = conn.prepare('INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)');
  for (const t of artifactTypes) typeProp.run(t, 'split', 3); // STRING

  const batch = (label: string, total: number, body: (i: number) => void) => {
    const t0 = Date.now();
    const CHUNK = 200_000;
    for (let start = 1; start <= total; start += CHUNK) {
      const end = Math.min(total, start + CHUNK - 1);
      conn.transaction(() => {
        for (let i = start; i <= end; i++) body(i);
      })();
    }
    log(`  ${label}: ${total.toLocaleString('en-US')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };

  const ctxOf = (i: number, n: number) => Math.floor(((i - 1) * C) / n) + 1;
  const splits = ['train', 'eval', 'test'];

  const ctx = conn.prepare(
    'INSERT INTO Context (id, type_id, name, create_time_since_epoch, last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?)',
  );
  const ctxProp = conn.prepare(
    'INSERT INTO ContextProperty (context_id, name, is_custom_property, string_value) VALUES (?, ?, 1, ?)',
  );
  batch('contexts', C, (k) => {
    ctx.run(k, contextType, `ctx-${k}`, BASE_TIME + k, BASE_TIME + k);
    ctxProp.run(k, 'owner', `team-${k % 17}`);
  });

  const art = conn.prepare(
    'INSERT INTO Artifact (id, type_id, uri, state, name, create_time_since_epoch, last_update_time_since_epoch) ' +
      'VALUES (?, ?, ?, 2, ?, ?, ?)',
  );
  const artInt = conn.prepare(
    'INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, int_value) VALUES (?, ?, 1, ?)',
  );
  const artStr = conn.prepare(
    'INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, string_value) VALUES (?, ?, 0, ?)',
  );
  const attr = conn.prepare('INSERT INTO Attribution (context_id, artifact_id) VALUES (?, ?)');
  batch('artifacts (+2 properties, +1 attribution each)', N, (i) => {
    art.run(i, artifactTypes[i % 2], `gs://bench/artifacts/${i}`, `artifact-${i}`, BASE_TIME + i, BASE_TIME + i);
    artInt.run(i, 'bucket', i % BUCKETS);
    artStr.run(i, 'split', splits[i % 3]);
    attr.run(ctxOf(i, N), i);
  });

  const exe = conn.prepare(
    'INSERT INTO Execution (id, type_id, last_known_state, name, create_time_since_epoch, last_update_time_since_epoch) ' +
      'VALUES (?, ?, 3, ?, ?, ?)',
  );
  const exeInt = conn.prepare(
    'INSERT INTO ExecutionProperty (execution_id, name, is_custom_property, int_value) VALUES (?, ?, 1, ?)',
  );
  const assoc = conn.prepare('INSERT INTO Association (context_id, execution_id) VALUES (?, ?)');
  const ev = conn.prepare(
    'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?, ?, ?, ?)',
  );
  const wrap = (a: number) => ((((a - 1) % N) + N) % N) + 1;
  batch('executions (+1 property, +1 association, +4 events each)', X, (j) => {
    exe.run(j, executionType, `execution-${j}`, BASE_TIME + j, BASE_TIME + j);
    exeInt.run(j, 'step', j % 100);
    assoc.run(ctxOf(j, X), j);
    const in1 = wrap(j - 1);
    let in2 = wrap(((j * 7919) % N) + 1);
    if (in2 === in1) in2 = wrap(in2 + 1);
    const out1 = wrap(j);
    const out2 = wrap(j + Math.floor(N / 2));
    ev.run(in1, j, 3, BASE_TIME + j); // INPUT
    ev.run(in2, j, 3, BASE_TIME + j);
    ev.run(out1, j, 4, BASE_TIME + j); // OUTPUT
    ev.run(out2, j, 4, BASE_TIME + j);
  });
}

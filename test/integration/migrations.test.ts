/**
 * Schema migrations against the real ml-metadata package: it creates, seeds and downgrades SQLite files which we
 * upgrade, and it opens (and reads, or upgrades itself) the files our code produces.
 *
 * Needs a Python with ml-metadata 1.17.x: $MLMD_PYTHON, else .venv/bin/python, else /tmp/mlmdvenv/bin/python.
 * Without one the tests are skipped, except in CI (CI=true), where a missing package is a failure.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Code, MlmdError } from '../../src/errors';
import { initializeStore, readSchemaVersion } from '../../src/storage/bootstrap';
import { SqliteDatabase } from '../../src/storage/sqlite/driver';

function findPython(): string | undefined {
  const candidates = [
    process.env.MLMD_PYTHON,
    resolve(__dirname, '../../.venv/bin/python'),
    '/tmp/mlmdvenv/bin/python',
  ];
  for (const p of candidates) {
    if (!p || !existsSync(p)) continue;
    try {
      execFileSync(p, ['-c', 'import ml_metadata'], { stdio: 'ignore' });
      return p;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const PYTHON = findPython();

/** Small driver for the ml-metadata package: seed / downgrade / read / open / upgrade a file. */
const DRIVER = String.raw`
import json, sys
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

cmd, path = sys.argv[1], sys.argv[2]
cfg = pb.ConnectionConfig()
cfg.sqlite.filename_uri = path

def value(v):
    which = v.WhichOneof('value')
    return getattr(v, which) if which else None

def props(m):
    return {k: value(v) for k, v in m.items()}

if cmd == 'seed':
    s = metadata_store.MetadataStore(cfg)
    at = pb.ArtifactType(name='Model', version='v1', description='a model', external_id='type-ext')
    at.properties['acc'] = pb.DOUBLE
    at.properties['n'] = pb.INT
    at_id = s.put_artifact_type(at)
    et = pb.ExecutionType(name='Trainer')
    et.properties['lr'] = pb.DOUBLE
    et_id = s.put_execution_type(et)
    ct_id = s.put_context_type(pb.ContextType(name='Pipeline'))
    a = pb.Artifact(type_id=at_id, uri='s3://bucket/model', name='m1', state=pb.Artifact.LIVE, external_id='art-ext')
    a.properties['acc'].double_value = 0.5
    a.properties['n'].int_value = 7
    a.custom_properties['note'].string_value = 'hello'
    [a_id] = s.put_artifacts([a])
    e = pb.Execution(type_id=et_id, name='run1', last_known_state=pb.Execution.COMPLETE)
    e.properties['lr'].double_value = 0.25
    [e_id] = s.put_executions([e])
    ev = pb.Event(artifact_id=a_id, execution_id=e_id, type=pb.Event.OUTPUT)
    ev.path.steps.add().key = 'model'
    ev.path.steps.add().index = 2
    s.put_events([ev])
    c = pb.Context(type_id=ct_id, name='p1')
    c.custom_properties['k'].int_value = 3
    [c_id] = s.put_contexts([c])
    s.put_attributions_and_associations(
        [pb.Attribution(context_id=c_id, artifact_id=a_id)], [pb.Association(context_id=c_id, execution_id=e_id)])
elif cmd == 'downgrade':
    metadata_store.downgrade_schema(cfg, int(sys.argv[3]))
elif cmd in ('read', 'upgrade_and_read'):
    s = metadata_store.MetadataStore(cfg, enable_upgrade_migration=(cmd == 'upgrade_and_read'))
    out = {'artifacts': [], 'executions': [], 'contexts': [], 'events': [], 'artifact_types': []}
    # by id: GetArtifactTypes leaves external_id out (an upstream quirk)
    for t in s.get_artifact_types_by_id([t.id for t in s.get_artifact_types()]):
        out['artifact_types'].append({'name': t.name, 'version': t.version, 'external_id': t.external_id,
                                      'properties': dict(t.properties)})
    for a in s.get_artifacts():
        out['artifacts'].append({'id': a.id, 'type': a.type, 'uri': a.uri, 'name': a.name, 'state': a.state,
                                 'external_id': a.external_id, 'properties': props(a.properties),
                                 'custom_properties': props(a.custom_properties)})
    for e in s.get_executions():
        out['executions'].append({'id': e.id, 'type': e.type, 'name': e.name, 'state': e.last_known_state,
                                  'properties': props(e.properties)})
    for c in s.get_contexts():
        out['contexts'].append({'id': c.id, 'type': c.type, 'name': c.name,
                                'custom_properties': props(c.custom_properties),
                                'artifacts': [a.id for a in s.get_artifacts_by_context(c.id)],
                                'executions': [e.id for e in s.get_executions_by_context(c.id)]})
    for ev in s.get_events_by_execution_ids([e['id'] for e in out['executions']]):
        out['events'].append({'artifact_id': ev.artifact_id, 'execution_id': ev.execution_id, 'type': ev.type,
                              'path': [[st.WhichOneof('value'), value(st)] for st in ev.path.steps]})
    print(json.dumps(out))
elif cmd == 'open':
    try:
        metadata_store.MetadataStore(cfg)
        print('OK')
    except Exception as e:
        print(str(e))
`;

function py(...args: string[]): string {
  return execFileSync(PYTHON!, ['-c', DRIVER, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

interface Snapshot {
  artifacts: Array<Record<string, unknown>>;
  executions: Array<Record<string, unknown>>;
  contexts: Array<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
  artifact_types: Array<Record<string, unknown>>;
}

const readBack = (path: string, cmd = 'read'): Snapshot => JSON.parse(py(cmd, path)) as Snapshot;

const dir = mkdtempSync(join(tmpdir(), 'cmf-mlmd-migrations-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
const newPath = (label: string) => join(dir, `${label}-${fileCounter++}.db`);

/** A v10 file created and seeded by the ml-metadata package, optionally downgraded by it. */
function upstreamFile(version: number): string {
  const path = newPath(`upstream-v${version}`);
  py('seed', path);
  if (version < 10) py('downgrade', path, String(version));
  return path;
}

async function withDb<T>(path: string, body: (db: SqliteDatabase) => Promise<T>): Promise<T> {
  const db = new SqliteDatabase({ filenameUri: path });
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}

const versionOf = (path: string) => withDb(path, (db) => db.transaction('read', (tx) => readSchemaVersion(tx)));

/** Everything in the file, for "left unchanged" checks (schema text plus every row of every table). */
function dump(path: string): string {
  const conn = new BetterSqlite3(path, { readonly: true });
  try {
    const objects = conn.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY type, name').all() as Array<{
      type: string;
      name: string;
    }>;
    const rows = objects
      .filter((o) => o.type === 'table')
      .map((o) => [o.name, conn.prepare(`SELECT * FROM "${o.name}" ORDER BY rowid`).raw().all()]);
    return JSON.stringify([objects, rows]);
  } finally {
    conn.close();
  }
}

/** What a file seeded by DRIVER must still hold after a round trip through schema version v. */
function checkSeededData(snap: Snapshot, lowest: number): void {
  const label = `(lowest version ${lowest})`;
  // Types: version/description arrived in v6, external_id in v9.
  const model = snap.artifact_types.find((t) => t.name === 'Model');
  assert.ok(model, `artifact type survives ${label}`);
  assert.deepEqual(model.properties, { acc: 2, n: 1 });
  assert.equal(model.version, lowest >= 6 ? 'v1' : '');
  assert.equal(model.external_id, lowest >= 9 ? 'type-ext' : '');

  assert.equal(snap.artifacts.length, 1, label);
  const [a] = snap.artifacts;
  assert.equal(a.type, 'Model');
  assert.equal(a.uri, 's3://bucket/model');
  assert.deepEqual(a.properties, { acc: 0.5, n: 7 });
  assert.deepEqual(a.custom_properties, { note: 'hello' });
  // Name and state arrived in v5.
  assert.equal(a.name, lowest >= 5 ? 'm1' : '');
  assert.equal(a.state, lowest >= 5 ? 2 : 0);
  assert.equal(a.external_id, lowest >= 9 ? 'art-ext' : '');

  assert.equal(snap.executions.length, 1, label);
  const [e] = snap.executions;
  assert.equal(e.type, 'Trainer');
  assert.deepEqual(e.properties, { lr: 0.25 });
  assert.equal(e.name, lowest >= 5 ? 'run1' : '');
  assert.equal(e.state, lowest >= 5 ? 3 : 0);

  assert.deepEqual(snap.events, [
    {
      artifact_id: a.id,
      execution_id: e.id,
      type: 4,
      path: [
        ['key', 'model'],
        ['index', 2],
      ],
    },
  ]);

  // Contexts arrived in v3, their links in v4.
  if (lowest >= 3) {
    assert.equal(snap.contexts.length, 1, label);
    const [c] = snap.contexts;
    assert.equal(c.type, 'Pipeline');
    assert.equal(c.name, 'p1');
    assert.deepEqual(c.custom_properties, { k: 3 });
    assert.deepEqual(c.artifacts, lowest >= 4 ? [a.id] : []);
    assert.deepEqual(c.executions, lowest >= 4 ? [e.id] : []);
  } else {
    assert.deepEqual(snap.contexts, [], label);
  }
}

describe(
  'schema migrations (SQLite) against the ml-metadata package',
  { skip: PYTHON || process.env.CI === 'true' ? false : 'no ml-metadata Python' },
  () => {
    test('the package seeds a v10 file that it reads back', () => {
      const path = upstreamFile(10);
      checkSeededData(readBack(path), 10);
    });

    for (let v = 9; v >= 0; v--) {
      test(`a file the package downgraded to v${v} is upgraded by us to v10 and read by the package`, async () => {
        const path = upstreamFile(v);
        assert.equal(await versionOf(path), v);
        await withDb(path, (db) => initializeStore(db, { enableUpgradeMigration: true }));
        assert.equal(await versionOf(path), 10);
        assert.equal(py('open', path), 'OK');
        checkSeededData(readBack(path), v);
      });
    }

    for (let v = 9; v >= 0; v--) {
      test(`our downgrade to v${v} gives a file the package sees as v${v} and can upgrade itself`, async () => {
        const path = upstreamFile(10);
        await assert.rejects(
          withDb(path, (db) => initializeStore(db, { downgradeToSchemaVersion: v })),
          (e: unknown) => e instanceof MlmdError && e.code === Code.CANCELLED && e.message.includes(`version is ${v}`),
        );
        assert.equal(await versionOf(path), v);
        const refusal = py('open', path);
        assert.match(refusal, new RegExp(`database version ${v} is older than library version 10`));
        // The package's own upgrade path accepts what our downgrade left, and the data survives it.
        checkSeededData(readBack(path, 'upgrade_and_read'), v);
      });
    }

    test('our downgrade then our upgrade round-trips the data (v10 -> v0 -> v10)', async () => {
      const path = upstreamFile(10);
      await assert.rejects(withDb(path, (db) => initializeStore(db, { downgradeToSchemaVersion: 0 })));
      assert.equal(await versionOf(path), 0);
      await withDb(path, (db) => initializeStore(db, { enableUpgradeMigration: true }));
      assert.equal(await versionOf(path), 10);
      checkSeededData(readBack(path), 0);
    });

    test('without enableUpgradeMigration an old file is refused with FAILED_PRECONDITION and left unchanged', async () => {
      for (const v of [7, 0]) {
        const path = upstreamFile(v);
        const before = dump(path);
        await assert.rejects(
          withDb(path, (db) => initializeStore(db)),
          (e: unknown) =>
            e instanceof MlmdError &&
            e.code === Code.FAILED_PRECONDITION &&
            e.message.includes(`version ${v} is older than library version 10`),
        );
        assert.equal(dump(path), before);
        assert.equal(await versionOf(path), v);
      }
    });

    test('upgrading v7 keeps only the newest of duplicate events, and their paths', async () => {
      const path = upstreamFile(7);
      const conn = new BetterSqlite3(path);
      conn.exec('INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (1, 1, 4, 99)');
      const dupId = (conn.prepare('SELECT max(id) AS id FROM Event').get() as { id: number }).id;
      conn.prepare("INSERT INTO EventPath (event_id, is_index_step, step_key) VALUES (?, 0, 'dup')").run(dupId);
      conn.close();
      await withDb(path, (db) => initializeStore(db, { enableUpgradeMigration: true }));
      const events = readBack(path).events;
      assert.deepEqual(events, [{ artifact_id: 1, execution_id: 1, type: 4, path: [['key', 'dup']] }]);
    });

    test('rebuilt tables keep their AUTOINCREMENT high-water mark (ids are not reused)', async () => {
      const path = upstreamFile(8);
      const conn = new BetterSqlite3(path);
      conn.exec("UPDATE sqlite_sequence SET seq = 41 WHERE name = 'Artifact'");
      conn.close();
      await withDb(path, (db) => initializeStore(db, { enableUpgradeMigration: true }));
      const check = new BetterSqlite3(path, { readonly: true });
      const seq = check.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'Artifact'").get() as { seq: number };
      check.close();
      assert.equal(seq.seq, 41);
    });
  },
);

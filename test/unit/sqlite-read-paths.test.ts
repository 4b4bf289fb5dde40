/**
 * Where a SQLite file store runs each kind of transaction (issue 21): lookups on a read-only connection of the
 * server's thread, beside the writer (never queued behind a write); reads of unbounded cost as one task on a reader
 * thread, whose result and failures come back as the body gave them; the MLMD domain choosing between them by the
 * request (a long id list is a read).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { Code, MlmdError } from '../../src/errors';
import { MAX_LOOKUP_KEYS } from '../../src/mlmd/rpc';
import { createMlmdApi } from '../../src/mlmd/store';
import { openDatabase } from '../../src/storage/open';
import { runReadTask } from '../../src/storage/read-task';
import type { Database } from '../../src/storage/database';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-read-paths-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TASKS = { module: require.resolve('./read-path-tasks'), name: 'countTypes' };
const MINE = "SELECT name FROM Type WHERE name IN ('before', 'during')";
const FAILING = { module: require.resolve('./read-path-tasks'), name: 'failWith' };

async function store(name: string, readerThreads?: number): Promise<Database> {
  return openDatabase({ kind: 'sqlite', filenameUri: path.join(tmp, `${name}.db`), readerThreads });
}

describe('SQLite lookups', () => {
  test('run beside an open write transaction, on the last committed snapshot', async () => {
    const db = await store('beside');
    try {
      await db.transaction('write', (tx) => tx.run("INSERT INTO Type (name, type_kind) VALUES ('before', 1)"));
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let inserted!: () => void;
      const insertedOnce = new Promise<void>((r) => (inserted = r));
      const writing = db.transaction('write', async (tx) => {
        await tx.run("INSERT INTO Type (name, type_kind) VALUES ('during', 1)");
        inserted();
        await held;
      });
      await insertedOnce;
      // The write holds its transaction open: a lookup answers now, without the uncommitted row.
      const names = await db.transaction('lookup', (tx) => tx.all<{ name: string }>(MINE));
      assert.deepEqual(
        names.map((r) => r.name),
        ['before'],
      );
      release();
      await writing;
      const after = await db.transaction('lookup', (tx) => tx.all<{ name: string }>(MINE));
      assert.deepEqual(after.map((r) => r.name).sort(), ['before', 'during']);
    } finally {
      await db.close();
    }
  });
});

describe('SQLite read tasks', () => {
  for (const threads of [2, 0]) {
    test(`return the body's result, and its failures with their status (${threads} reader threads)`, async () => {
      const db = await store(`tasks-${threads}`, threads);
      try {
        await db.transaction('write', (tx) => tx.run("INSERT INTO Type (name, type_kind) VALUES ('a', 1)"));
        assert.deepEqual(await runReadTask(db, TASKS, { kind: 1n }), { count: 1n, kind: 1n });
        await assert.rejects(
          runReadTask(db, FAILING, { code: Code.NOT_FOUND, message: 'no such thing' }),
          (e) => e instanceof MlmdError && e.code === Code.NOT_FOUND && e.message === 'no such thing',
        );
        // A statement SQLite refuses fails as it would on the server's thread.
        await assert.rejects(
          runReadTask(db, FAILING, { sql: 'SELECT id FROM no_such_table' }),
          (e) => e instanceof MlmdError && e.code === Code.INTERNAL && /no such table/.test(e.message),
        );
      } finally {
        await db.close();
      }
    });
  }
});

describe('MLMD reads by id', () => {
  test(`a list of more than ${MAX_LOOKUP_KEYS} ids is answered as well as a short one`, async () => {
    const db = await store('by-id');
    try {
      const api = createMlmdApi(db);
      const typeId = (await api.putArtifactType({ artifactType: { name: 'T' } })).typeId!;
      const { artifactIds } = await api.putArtifacts({
        artifacts: Array.from({ length: MAX_LOOKUP_KEYS + 1 }, (_, i) => ({ typeId, uri: `u${i}` })),
      });
      const long = await api.getArtifactsById({ artifactIds });
      assert.equal(long.artifacts!.length, MAX_LOOKUP_KEYS + 1);
      const short = await api.getArtifactsById({ artifactIds: artifactIds!.slice(0, 2) });
      assert.deepEqual(
        short.artifacts!.map((a) => a.uri),
        ['u0', 'u1'],
      );
    } finally {
      await db.close();
    }
  });
});

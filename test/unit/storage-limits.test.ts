/**
 * Storage-level bounds (issue 11): statement caches are bounded LRUs; SQLite's own limits come back as
 * INVALID_ARGUMENT naming them instead of INTERNAL; reads on the server's connection (an in-memory store) have the
 * read time limit too; closing a file store stops the reads running on its reader threads.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { Code, MlmdError } from '../../src/errors';
import { createMlmdApi } from '../../src/mlmd/store';
import { openDatabase } from '../../src/storage/open';
import { LruCache, MAX_CACHED_SQL_LENGTH } from '../../src/storage/statement-cache';
import { Event_Type } from '../../generated/ml_metadata/proto/metadata_store';
import type { MlmdApi } from '../../src/mlmd/api';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-limits-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const isCode = (code: Code, text?: RegExp) => (e: unknown) =>
  e instanceof MlmdError && e.code === code && (!text || text.test(e.message));

/** One artifact with 12,000 events: a condition relating two events_ aliases tries 144 million combinations. */
async function slowStore(api: MlmdApi): Promise<void> {
  const at = (await api.putArtifactType({ artifactType: { name: 'T' } })).typeId!;
  const et = (await api.putExecutionType({ executionType: { name: 'E' } })).typeId!;
  const [artifactId] = (await api.putArtifacts({ artifacts: [{ typeId: at }] })).artifactIds!;
  const { executionIds } = await api.putExecutions({
    executions: Array.from({ length: 4000 }, () => ({ typeId: et })),
  });
  await api.putEvents({
    events: executionIds!.flatMap((executionId) =>
      [Event_Type.INPUT, Event_Type.OUTPUT, Event_Type.DECLARED_INPUT].map((type) => ({
        artifactId,
        executionId,
        type,
      })),
    ),
  });
}
const SLOW_FILTER = 'events_a.execution_id + events_b.execution_id = -1';

describe('LruCache', () => {
  test('keeps at most its capacity, evicting the least recently used', () => {
    const made: string[] = [];
    const cache = new LruCache(3, (k) => {
      made.push(k);
      return k.toUpperCase();
    });
    for (const k of ['a', 'b', 'c', 'a', 'd', 'b', 'a']) cache.get(k);
    assert.equal(cache.size, 3);
    // 'b' was evicted by 'd' (a had been used again), then came back and evicted 'c'
    assert.deepEqual(made, ['a', 'b', 'c', 'd', 'b']);
    for (let i = 0; i < 10_000; i++) cache.get(`k${i}`);
    assert.equal(cache.size, 3);
  });

  test('never caches keys over MAX_CACHED_SQL_LENGTH (created for each use)', () => {
    let made = 0;
    const cache = new LruCache(10, () => ++made);
    const long = 'x'.repeat(MAX_CACHED_SQL_LENGTH + 1);
    cache.get(long);
    cache.get(long);
    assert.equal(made, 2);
    assert.equal(cache.size, 0);
  });
});

describe('SQLite limits', () => {
  test("a statement past one of SQLite's limits is INVALID_ARGUMENT naming it, not INTERNAL", async () => {
    const db = await openDatabase({ kind: 'sqlite', filenameUri: ':memory:' });
    try {
      const params = Array.from({ length: 40_000 }, (_, i) => BigInt(i));
      await assert.rejects(
        db.transaction('read', (tx) => tx.all(`SELECT 1 WHERE 1 IN (${params.map(() => '?').join(', ')})`, params)),
        isCode(Code.INVALID_ARGUMENT, /too many SQL variables/),
      );
      const deep = `SELECT ${Array(1200).fill('1').join(' + ')} AS x`;
      await assert.rejects(
        db.transaction('read', (tx) => tx.all(deep)),
        isCode(Code.INVALID_ARGUMENT, /limit of the SQLite database: Expression tree is too large/),
      );
    } finally {
      await db.close();
    }
  });
});

describe('read time limit and closing', () => {
  test('an in-memory store (reads on the server connection) times reads out too', async () => {
    const db = await openDatabase({ kind: 'sqlite', filenameUri: ':memory:', readTimeLimitMs: 300 });
    try {
      const api = createMlmdApi(db);
      await slowStore(api);
      await assert.rejects(
        api.getArtifacts({ options: { filterQuery: SLOW_FILTER } }),
        isCode(Code.RESOURCE_EXHAUSTED, /read time limit of 300 ms/),
      );
      // the connection is usable afterwards
      assert.equal((await api.getArtifacts({})).artifacts?.length, 1);
    } finally {
      await db.close();
    }
  });

  test('closing a file store stops the reads running on its threads', async () => {
    const db = await openDatabase({
      kind: 'sqlite',
      filenameUri: path.join(tmp, 'close.db'),
      readTimeLimitMs: 600_000,
    });
    const api = createMlmdApi(db);
    await slowStore(api);
    let settled = false;
    const slow = api.getArtifacts({ options: { filterQuery: SLOW_FILTER } }).finally(() => (settled = true));
    slow.catch(() => undefined);
    // a read on another thread answers: the slow one has been sent to its thread by then
    await api.getArtifactTypes({});
    assert.equal(settled, false);
    await db.close();
    await assert.rejects(slow, isCode(Code.UNAVAILABLE, /shutting down/));
  });
});

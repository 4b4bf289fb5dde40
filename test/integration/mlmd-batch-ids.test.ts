/**
 * New nodes of one request are inserted with multi-row INSERTs; each must get its own id and its own property rows
 * while other requests insert into the same tables. On MySQL, which has no RETURNING, the ids are computed from the
 * statement's first id and auto_increment_increment (consecutive AUTO_INCREMENT locking), or the nodes are inserted
 * one by one where the server promises no consecutive ids: every path is run here.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConnection } from 'mysql2/promise';

import { PropertyType, type Artifact } from '../../generated/ml_metadata/proto/metadata_store';
import { connectionOptions } from '../../src/storage/mysql/config';
import { mysqlTestConfig, TEST_BACKEND } from '../helpers/backend';
import { intValue, plain, stringValue } from '../helpers/mlmd';
import { startTestServer, type TestServer } from '../helpers/server';

const BIG = 700; // more than one 512-row statement
const SMALL = 25;
const OTHERS = 6;

async function checkConcurrentBatches(ts: TestServer): Promise<void> {
  const c = ts.client;
  const typeId = (
    await c.putArtifactType({
      artifactType: { name: 'batch', properties: { n: PropertyType.INT, s: PropertyType.STRING } },
    })
  ).typeId!;
  const batch = (tag: string, size: number): Artifact[] =>
    Array.from({ length: size }, (_, i) => ({
      typeId,
      uri: `/${tag}/${i}`,
      name: i % 3 === 0 ? undefined : `${tag}-${i}`,
      properties: { n: intValue(BigInt(i)), s: stringValue(`${tag}:${i}`) },
      customProperties: i % 2 ? { tag: stringValue(tag) } : ({} as Record<string, never>),
    }));
  const requests = [batch('big', BIG), ...Array.from({ length: OTHERS }, (_, k) => batch(`small${k}`, SMALL))];
  const answers = await Promise.all(requests.map((artifacts) => c.putArtifacts({ artifacts })));
  const all = answers.flatMap((a) => a.artifactIds);
  assert.equal(new Set(all).size, BIG + OTHERS * SMALL, 'every node has its own id');
  for (const [k, sent] of requests.entries()) {
    const ids = answers[k].artifactIds;
    assert.equal(ids.length, sent.length);
    const stored = new Map((await c.getArtifactsById({ artifactIds: ids })).artifacts.map((a) => [a.id!, a]));
    sent.forEach((want, i) => {
      const got = stored.get(ids[i]);
      assert.ok(got, `node ${i} of request ${k} is stored under the id returned for it`);
      assert.equal(got.uri, want.uri);
      assert.equal(got.name, want.name);
      assert.deepEqual(plain(got.properties), plain(want.properties));
      assert.deepEqual(plain(got.customProperties), plain(want.customProperties));
    });
  }
}

describe('new nodes of concurrent batch writes', () => {
  it('get their own ids and property rows', async () => {
    const ts = await startTestServer();
    try {
      await checkConcurrentBatches(ts);
    } finally {
      await ts.stop();
    }
  });

  if (TEST_BACKEND !== 'mysql') return;

  it('MySQL: with auto_increment_increment 3 (ids computed with the step)', async () => {
    const admin = await createConnection(connectionOptions(mysqlTestConfig(''), ''));
    const [[{ previous }]] = (await admin.query('SELECT @@GLOBAL.auto_increment_increment AS previous')) as unknown as [
      Array<{ previous: number }>,
    ];
    // New sessions (the server's pool, opened below) take the global value.
    await admin.query('SET GLOBAL auto_increment_increment = 3');
    try {
      const ts = await startTestServer();
      try {
        assert.equal((ts.db.adapter as { multiRowIdStep?: bigint }).multiRowIdStep, 3n);
        await checkConcurrentBatches(ts);
      } finally {
        await ts.stop();
      }
    } finally {
      await admin.query(`SET GLOBAL auto_increment_increment = ${Number(previous)}`);
      await admin.end();
    }
  });

  it('MySQL: where no consecutive ids are promised (interleaved locking), node by node', async () => {
    const ts = await startTestServer();
    try {
      // What the adapter concludes from innodb_autoinc_lock_mode = 2, a start-up option MariaDB cannot change live.
      (ts.db.adapter as { multiRowIdStep?: bigint }).multiRowIdStep = undefined;
      await checkConcurrentBatches(ts);
    } finally {
      await ts.stop();
    }
  });
});

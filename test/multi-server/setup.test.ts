/**
 * A schema set-up interrupted half-way, on the shared backend (MLMD_TEST_BACKEND=postgres|mysql). PostgreSQL's DDL is
 * transactional, so a partial schema there is someone else's set-up in progress: refused with ABORTED (the caller
 * retries), as upstream. MySQL commits every CREATE TABLE on its own, so a server killed during set-up leaves a partial
 * schema for good: the next server finishes it.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { Code, MlmdError } from '../../src/errors';
import { type BackendConfig, openDatabase } from '../../src/storage/open';
import { mysqlTestConfig, pgTestConfig, uniqueDbName } from '../helpers/backend';
import { requireSharedBackend, SHARED_BACKEND, sharedDatabase, type SharedDatabase } from './harness';

requireSharedBackend();

const made: SharedDatabase[] = [];
after(async () => {
  for (const d of made) await d.drop();
});

/** A fresh database with the whole v10 schema, as a server sets it up. */
async function fresh(): Promise<{ config: BackendConfig; database: SharedDatabase }> {
  const name = uniqueDbName('mlmd_setup');
  const config: BackendConfig =
    SHARED_BACKEND === 'mysql'
      ? { kind: 'mysql', config: mysqlTestConfig(name) }
      : { kind: 'postgresql', config: pgTestConfig(name) };
  await (await openDatabase(config)).close();
  const database = sharedDatabase(name);
  made.push(database);
  return { config, database };
}

describe(`an interrupted schema set-up (${SHARED_BACKEND})`, () => {
  test('some tables missing: MySQL finishes the set-up; PostgreSQL answers ABORTED, as upstream', async () => {
    const { config, database } = await fresh();
    await database.sql('DROP TABLE Context');
    await database.sql('DROP TABLE Attribution');
    await database.sql('DELETE FROM MLMDEnv');
    if (SHARED_BACKEND === 'mysql') {
      const db = await openDatabase(config);
      await db.close();
      const version = await database.sql<{ v: unknown }>('SELECT schema_version AS v FROM MLMDEnv');
      assert.deepEqual(
        version.map((r) => Number(r.v)),
        [10],
      );
      assert.equal((await database.sql('SELECT id FROM Context')).length, 0, 'the missing tables exist again');
    } else {
      await assert.rejects(
        openDatabase(config),
        (e: unknown) => e instanceof MlmdError && e.code === Code.ABORTED && /schema_version|subset/.test(e.message),
      );
    }
  });

  test('MLMDEnv left without its row: MySQL records the version; PostgreSQL answers ABORTED', async () => {
    const { config, database } = await fresh();
    await database.sql('DELETE FROM MLMDEnv');
    if (SHARED_BACKEND === 'mysql') {
      await (await openDatabase(config)).close();
      const version = await database.sql<{ v: unknown }>('SELECT schema_version AS v FROM MLMDEnv');
      assert.deepEqual(
        version.map((r) => Number(r.v)),
        [10],
      );
    } else {
      await assert.rejects(openDatabase(config), (e: unknown) => e instanceof MlmdError && e.code === Code.ABORTED);
    }
  });
});

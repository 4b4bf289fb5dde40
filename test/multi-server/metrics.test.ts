/**
 * Metrics of a server on the shared backend (PostgreSQL, or MariaDB with MLMD_TEST_BACKEND=mysql), scraped after
 * real calls: the connection pool's use (a call held on a table lock keeps one connection busy) and transaction
 * retries with their reason (the held call's connection is killed by the database, so the server rolls back and
 * runs it again on a new connection, and it still succeeds once the lock is gone).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { uniqueDbName } from '../helpers/backend';
import { scrape, value } from '../helpers/metrics';
import { waitFor } from '../helpers/wait';
import {
  freePort,
  MlmdClient,
  requireSharedBackend,
  SHARED_BACKEND,
  sharedDatabase,
  startServerProcess,
  type ServerProcess,
  type SharedDatabase,
  type SqlSession,
} from './harness';

requireSharedBackend();

/** What differs per backend: holding the Type table, finding the call waiting on it, killing its connection. */
interface TableLock {
  backend: 'postgres' | 'mysql';
  hold(locker: SqlSession): Promise<void>;
  release(locker: SqlSession): Promise<void>;
  /** Ids of the server's connections waiting on the lock. */
  waiting(database: SharedDatabase): Promise<string[]>;
  kill(database: SharedDatabase, id: string): Promise<void>;
}

const LOCKS: Record<typeof SHARED_BACKEND, (dbname: string) => TableLock> = {
  postgres: () => ({
    backend: 'postgres',
    hold: async (locker) => {
      await locker.sql('BEGIN');
      await locker.sql('LOCK TABLE type IN ACCESS EXCLUSIVE MODE');
    },
    release: async (locker) => void (await locker.sql('ROLLBACK')),
    waiting: async (database) =>
      (
        await database.sql<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'cmf-mlmd' AND wait_event_type = 'Lock'",
        )
      ).map((r) => String(r.pid)),
    kill: async (database, id) => void (await database.sql(`SELECT pg_terminate_backend(${Number(id)})`)),
  }),
  mysql: (dbname) => ({
    backend: 'mysql',
    hold: async (locker) => void (await locker.sql('LOCK TABLES `Type` WRITE')),
    release: async (locker) => void (await locker.sql('UNLOCK TABLES')),
    waiting: async (database) =>
      (
        await database.sql<{ id: number }>(
          `SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = '${dbname}' ` +
            "AND STATE LIKE 'Waiting for table%'",
        )
      ).map((r) => String(r.id)),
    kill: async (database, id) => void (await database.sql(`KILL CONNECTION ${Number(id)}`)),
  }),
};

describe(`metrics on ${SHARED_BACKEND}`, () => {
  const dbname = uniqueDbName('mlmd_metrics');
  const database = sharedDatabase(dbname);
  const lock = LOCKS[SHARED_BACKEND](dbname);
  const backend = lock.backend;
  let server: ServerProcess;
  let metricsPort: number;

  before(async () => {
    metricsPort = await freePort();
    server = await startServerProcess([...database.flags(), `--metrics_port=${metricsPort}`]);
  });

  after(async () => {
    await server?.stop();
    await database.drop();
  });

  test('pool use and a retried transaction (connection killed while it waited on a lock)', async () => {
    const client = new MlmdClient(server.address, { deadlineMs: 60_000 });
    const locker = await database.session();
    try {
      await client.putArtifactType({ artifactType: { name: 'before' } });
      let text = await scrape(metricsPort);
      assert.equal(value(text, 'cmf_mlmd_db_pool_connections', { backend, state: 'max' }), 10);
      assert.ok(value(text, 'cmf_mlmd_db_pool_connections', { backend, state: 'open' })! >= 1);
      assert.equal(value(text, 'cmf_mlmd_db_pool_waiting', { backend }), 0);
      assert.equal(value(text, 'cmf_mlmd_transaction_retries_total', { reason: 'connection_lost' }), undefined);

      await lock.hold(locker);
      const held = client.putArtifactType({ artifactType: { name: 'held' } });
      await waitFor('the call to wait on the lock', async () => (await lock.waiting(database)).length === 1, 30_000);

      // While it waits, one pooled connection is busy.
      text = await scrape(metricsPort);
      const open = value(text, 'cmf_mlmd_db_pool_connections', { backend, state: 'open' })!;
      const idle = value(text, 'cmf_mlmd_db_pool_connections', { backend, state: 'idle' })!;
      assert.ok(open - idle >= 1, `open ${open}, idle ${idle}`);
      assert.equal(value(text, 'cmf_mlmd_rpc_in_flight', { method: 'PutArtifactType' }), 1);

      const [id] = await lock.waiting(database);
      await lock.kill(database, id);
      // The retry waits on the lock again, on a new connection.
      await waitFor(
        'the retried call to wait',
        async () => (await lock.waiting(database)).some((other) => other !== id),
        30_000,
      );
      await lock.release(locker);
      assert.ok((await held).typeId! > 0n);

      text = await scrape(metricsPort);
      assert.equal(value(text, 'cmf_mlmd_transaction_retries_total', { backend, reason: 'connection_lost' }), 1);
      assert.equal(
        value(text, 'cmf_mlmd_rpc_requests_total', { method: 'PutArtifactType', code: 'OK', protocol: 'grpc' }),
        2,
      );
      assert.equal(value(text, 'cmf_mlmd_rpc_in_flight', { method: 'PutArtifactType' }), 0);
    } finally {
      client.close();
      await locker.close();
    }
  });
});

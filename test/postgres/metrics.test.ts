/**
 * Metrics of a server on PostgreSQL, scraped after real calls: the connection pool's use (a call held on a table
 * lock keeps one connection busy) and transaction retries with their reason (the held call's connection is
 * terminated by the database, so the server rolls back and runs it again on a new connection, and it still
 * succeeds once the lock is gone).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';

import type { PostgreSQLDatabaseConfig } from '../../generated/ml_metadata/proto/metadata_store';
import { clientConfig } from '../../src/storage/postgres';
import { dropPgDatabase, pgTestConfig, uniqueDbName } from '../helpers/backend';
import { scrape, value } from '../helpers/metrics';
import { freePort, MlmdClient, pgFlags, requirePostgres, sql, startServerProcess, type ServerProcess } from './harness';
import { waitUntil } from '../helpers/processes';

requirePostgres();

describe('metrics on PostgreSQL', () => {
  let config: PostgreSQLDatabaseConfig;
  let server: ServerProcess;
  let metricsPort: number;

  before(async () => {
    config = pgTestConfig(uniqueDbName('mlmd_metrics'));
    metricsPort = await freePort();
    server = await startServerProcess([...pgFlags(config), `--metrics_port=${metricsPort}`]);
  });

  after(async () => {
    await server?.stop();
    await dropPgDatabase(config.dbname!);
  });

  test('pool use and a retried transaction (connection terminated while it waited on a lock)', async () => {
    const client = new MlmdClient(server.address, { deadlineMs: 60_000 });
    const locker = new Client(clientConfig(config));
    await locker.connect();
    try {
      await client.putArtifactType({ artifactType: { name: 'before' } });
      let text = await scrape(metricsPort);
      assert.equal(value(text, 'cmf_mlmd_db_pool_connections', { backend: 'postgres', state: 'max' }), 10);
      assert.ok(value(text, 'cmf_mlmd_db_pool_connections', { backend: 'postgres', state: 'open' })! >= 1);
      assert.equal(value(text, 'cmf_mlmd_db_pool_waiting', { backend: 'postgres' }), 0);
      assert.equal(value(text, 'cmf_mlmd_transaction_retries_total', { reason: 'connection_lost' }), undefined);

      await locker.query('BEGIN');
      await locker.query('LOCK TABLE type IN ACCESS EXCLUSIVE MODE');
      const held = client.putArtifactType({ artifactType: { name: 'held' } });
      const waiting = async () =>
        (
          await sql<{ pid: number }>(
            config,
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'cmf-mlmd' AND wait_event_type = 'Lock'",
          )
        ).map((r) => r.pid);
      await waitUntil(async () => (await waiting()).length === 1, 30_000, 'the call to wait on the lock');

      // While it waits, one pooled connection is busy.
      text = await scrape(metricsPort);
      const open = value(text, 'cmf_mlmd_db_pool_connections', { backend: 'postgres', state: 'open' })!;
      const idle = value(text, 'cmf_mlmd_db_pool_connections', { backend: 'postgres', state: 'idle' })!;
      assert.ok(open - idle >= 1, `open ${open}, idle ${idle}`);
      assert.equal(value(text, 'cmf_mlmd_rpc_in_flight', { method: 'PutArtifactType' }), 1);

      const [pid] = await waiting();
      await sql(config, 'SELECT pg_terminate_backend($1)', [pid]);
      // The retry waits on the lock again, on a new connection.
      await waitUntil(async () => (await waiting()).some((p) => p !== pid), 30_000, 'the retried call to wait');
      await locker.query('ROLLBACK');
      assert.ok((await held).typeId! > 0n);

      text = await scrape(metricsPort);
      assert.equal(
        value(text, 'cmf_mlmd_transaction_retries_total', { backend: 'postgres', reason: 'connection_lost' }),
        1,
      );
      assert.equal(
        value(text, 'cmf_mlmd_rpc_requests_total', { method: 'PutArtifactType', code: 'OK', protocol: 'grpc' }),
        2,
      );
      assert.equal(value(text, 'cmf_mlmd_rpc_in_flight', { method: 'PutArtifactType' }), 0);
    } finally {
      client.close();
      await locker.end();
    }
  });
});

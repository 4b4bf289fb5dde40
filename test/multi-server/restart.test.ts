/**
 * The shared database (PostgreSQL, or MariaDB with MLMD_TEST_BACKEND=mysql) restarted (crash-stopped, down for
 * several seconds, started again) in the middle of a write load on two server processes. Calls during the outage
 * fail with a retryable status (ABORTED or UNAVAILABLE), never anything else; every acknowledged write is in the
 * database afterwards; and new calls succeed on the same server processes (their pools reconnect by themselves).
 *
 * Runs its own throw-away cluster (scripts/pg-cluster.sh or scripts/mariadb-cluster.sh), so stopping it disturbs no
 * other suite.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { waitFor } from '../helpers/wait';
import { Event_Type } from '../../generated/ml_metadata/proto/metadata_store';
import {
  MlmdClient,
  MlmdClientError,
  requireSharedBackend,
  RETRYABLE,
  SHARED_BACKEND,
  startServerProcess,
  ThrowAwayCluster,
  withClientRetry,
  type ServerProcess,
  type SharedDatabase,
} from './harness';

requireSharedBackend();

const CLIENTS = 8;
const OUTAGE_MS = 10_000;
const clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), `mlmd-${SHARED_BACKEND}-restart-`));
const cluster = new ThrowAwayCluster(clusterDir);
const servers: ServerProcess[] = [];
let database: SharedDatabase;
const sql = <R = Record<string, unknown>>(text: string) => database.sql<R>(text);

before(async () => {
  database = cluster.start('mlmd_restart');
  servers.push(await startServerProcess(database.flags()), await startServerProcess(database.flags()));
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  try {
    cluster.stop('immediate');
  } finally {
    fs.rmSync(clusterDir, { recursive: true, force: true });
  }
});

describe(`the shared database (${SHARED_BACKEND}) restarted under load`, () => {
  test(
    'outage calls fail retryably; acknowledged writes survive; servers recover by themselves',
    { timeout: 240_000 },
    async () => {
      const clients = Array.from(
        { length: CLIENTS },
        (_, i) => new MlmdClient(servers[i % servers.length].address, { deadlineMs: 60_000 }),
      );
      const setup = clients[0];
      const { typeId: execType } = await setup.putExecutionType({ executionType: { name: 'Step' } });
      const { typeId: artType } = await setup.putArtifactType({ artifactType: { name: 'Blob' } });
      const { typeId: ctxType } = await setup.putContextType({ contextType: { name: 'Run' } });

      const acknowledged: string[] = [];
      const failures = new Map<string, number>();
      const unexpected: string[] = [];
      let stop = false;
      const put = (client: MlmdClient, name: string) =>
        client.putExecution({
          execution: { typeId: execType, name },
          artifactEventPairs: [
            { artifact: { typeId: artType, uri: `mem://${name}` }, event: { type: Event_Type.OUTPUT } },
          ],
          contexts: [{ typeId: ctxType, name: 'shared-run' }],
          options: { reuseContextIfAlreadyExist: true },
        });

      const load = clients.map(async (client, c) => {
        for (let i = 0; !stop; i++) {
          const name = `load-${c}-${i}`;
          try {
            await put(client, name);
            acknowledged.push(name);
          } catch (e) {
            if (e instanceof MlmdClientError && RETRYABLE.has(e.code)) {
              failures.set(e.codeName, (failures.get(e.codeName) ?? 0) + 1);
              await new Promise((r) => setTimeout(r, 200));
            } else {
              unexpected.push(String(e));
            }
          }
        }
      });

      const failed = () => [...failures.values()].reduce((a, b) => a + b, 0);
      await waitFor('writes acknowledged before the outage', () => acknowledged.length >= 20);
      const beforeOutage = acknowledged.length;
      cluster.stop('immediate'); // a crash: no clean shutdown of the sessions
      await waitFor('calls failing during the outage', () => failed() > 0);
      // The outage lasts a while (the scenario: pooled connections die and must be replaced), then ends.
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      cluster.restart();
      const atRestart = acknowledged.length;
      await waitFor('writes acknowledged after the restart', () => acknowledged.length >= atRestart + 20);
      stop = true;
      await Promise.all(load);

      console.log(
        `acknowledged ${acknowledged.length} (${beforeOutage} before the outage); failed calls: ${JSON.stringify(Object.fromEntries(failures))}`,
      );
      for (const s of servers)
        assert.equal(s.child.exitCode, null, `a server process died during the outage:\n${s.log()}`);
      assert.deepEqual(unexpected, [], 'only retryable statuses during the outage');
      assert.ok(beforeOutage > 0, 'the load ran before the outage');
      assert.ok(failed() > 0, 'calls during the outage failed (retryably)');

      // New calls succeed on the same server processes (a client may retry ABORTED as ml-metadata's does).
      const stats = { failures: new Map<string, number>() };
      const after: string[] = [];
      await Promise.all(
        clients.map(async (client, c) => {
          for (let i = 0; i < 3; i++) {
            const name = `after-${c}-${i}`;
            await withClientRetry(() => put(client, name), stats, { attempts: 10 });
            after.push(name);
          }
        }),
      );
      for (const c of clients) c.close();

      // Every acknowledged write is stored (once).
      const stored = new Set((await sql<{ name: string }>('SELECT name FROM Execution')).map((r) => r.name));
      const missing = [...acknowledged, ...after].filter((n) => !stored.has(n));
      assert.deepEqual(missing, [], 'acknowledged executions missing after the restart');
      const contexts = await sql<{ n: string }>("SELECT COUNT(*) AS n FROM Context WHERE name = 'shared-run'");
      assert.equal(Number(contexts[0].n), 1);
      const orphans = await sql<{ n: string }>(
        'SELECT COUNT(*) AS n FROM Execution x WHERE NOT EXISTS (SELECT 1 FROM Event e WHERE e.execution_id = x.id)',
      );
      assert.equal(Number(orphans[0].n), 0, 'every stored execution has its event (all-or-nothing writes)');
    },
  );
});

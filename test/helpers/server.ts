/**
 * Integration-test harness: a real MetadataStoreService server (in this process, real grpc-js on 127.0.0.1 with a
 * free port) over a real SQLite file in a fresh temp directory (or, with MLMD_TEST_BACKEND=postgres or mysql, a
 * fresh PostgreSQL or MySQL database: see backend.ts), plus an SDK client connected to it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MlmdClient, type MlmdClientOptions } from '../../src/client';
import { createMlmdApi } from '../../src/mlmd/store';
import { startServer, type ServerHandle } from '../../src/server/server';
import type { Database } from '../../src/storage/database';
import { openTestStore, type TestStoreOptions } from './backend';

export interface TestServer {
  client: MlmdClient;
  /** host:port of the server. */
  address: string;
  /** The SQLite file the server writes (on PostgreSQL: the database name). */
  dbPath: string;
  /** The database the server uses. */
  db: Database;
  server: ServerHandle;
  /** Closes the client, shuts the server down, closes the database and removes the temp directory. */
  stop(): Promise<void>;
}

export async function startTestServer(
  clientOptions: MlmdClientOptions = {},
  storeOptions: TestStoreOptions = {},
): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-it-'));
  const store = await openTestStore(path.join(dir, 'mlmd.sqlite'), storeOptions);
  const { db } = store;
  const dbPath = store.location;
  let server: ServerHandle;
  try {
    server = await startServer({
      api: createMlmdApi(db),
      port: 0,
      host: '127.0.0.1',
      shutdownGraceMs: 2_000,
      onShutdown: async () => {
        await db.close();
        await store.remove();
      },
    });
  } catch (e) {
    await db.close();
    await store.remove();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const address = `127.0.0.1:${server.port}`;
  const client = new MlmdClient(address, { deadlineMs: 30_000, ...clientOptions });
  let stopped: Promise<void> | undefined;
  return {
    client,
    address,
    dbPath,
    db,
    server,
    stop: () =>
      (stopped ??= (async () => {
        client.close();
        await server.shutdown();
        fs.rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/**
 * Connections lost at the worst moments, on the shared backend (MLMD_TEST_BACKEND=postgres|mysql): the server talks
 * to the real database through a TCP proxy that cuts a connection when it sees given bytes go by.
 *   - lost in the middle of a transaction (before COMMIT): the call is re-run on a new connection and succeeds once;
 *   - lost while COMMIT is in flight: the outcome is unknown, so the call answers UNAVAILABLE and is not re-run;
 *   - every pooled connection dead (the database restarted, idle connections broken): the next calls succeed, the
 *     dead connections are replaced.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { Code, MlmdError } from '../../src/errors';
import type { MlmdApi } from '../../src/mlmd/api';
import { createMlmdApi } from '../../src/mlmd/store';
import type { Database } from '../../src/storage/database';
import { type BackendConfig, openDatabase } from '../../src/storage/open';
import { mysqlTestConfig, pgTestConfig, uniqueDbName } from '../helpers/backend';
import { requireSharedBackend, SHARED_BACKEND, sharedDatabase } from './harness';

requireSharedBackend();

/** Forwards TCP to the database; `trap` may cut the connection a client→server chunk belongs to. */
class CuttingProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  /** Returns true to cut the connection instead of forwarding `chunk`. */
  trap: ((chunk: Buffer) => boolean) | undefined;
  cuts = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      const cut = () => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (chunk: Buffer) => {
        if (this.trap?.(chunk)) {
          this.cuts += 1;
          cut();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('error', cut);
      upstream.on('error', cut);
      client.on('close', cut);
      upstream.on('close', cut);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as net.AddressInfo).port)),
    );
  }

  /** Breaks every connection open now (what a database restart does to a pool). */
  cutAll(): void {
    for (const [a, b] of [...this.pairs]) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const name = uniqueDbName('mlmd_loss');
const database = sharedDatabase(name);
let proxy: CuttingProxy;
let db: Database;
let api: MlmdApi;
let contextType: bigint;

before(async () => {
  const target =
    SHARED_BACKEND === 'mysql'
      ? { host: process.env.MLMD_TEST_MYSQL_HOST!, port: Number(process.env.MLMD_TEST_MYSQL_PORT ?? 3306) }
      : { host: process.env.MLMD_TEST_PG_HOST!, port: Number(process.env.MLMD_TEST_PG_PORT ?? 5432) };
  proxy = new CuttingProxy(target.host, target.port);
  const port = await proxy.listen();
  const config: BackendConfig =
    SHARED_BACKEND === 'mysql'
      ? { kind: 'mysql', config: { ...mysqlTestConfig(name), host: '127.0.0.1', port: BigInt(port) }, poolSize: 3 }
      : { kind: 'postgresql', config: { ...pgTestConfig(name), host: '127.0.0.1', port: String(port) }, poolSize: 3 };
  db = await openDatabase(config);
  api = createMlmdApi(db);
  contextType = (await api.putContextType({ contextType: { name: 'LossRun' } })).typeId!;
});

after(async () => {
  await db?.close();
  await proxy?.close();
  await database.drop();
});

const contextsNamed = async (contextName: string) =>
  (await database.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM Context WHERE name = '${contextName}'`)).map((r) =>
    Number(r.n),
  )[0];

describe(`connections lost under a transaction (${SHARED_BACKEND})`, () => {
  test('lost before COMMIT: the call is re-run on a new connection and the write happens once', async () => {
    const contextName = `before-commit-${Date.now()}`;
    let seen = 0;
    // Cut the connection the first time the INSERT carrying the name goes by.
    proxy.trap = (chunk) => chunk.includes(contextName) && ++seen === 1;
    const { contextIds } = await api.putContexts({ contexts: [{ typeId: contextType, name: contextName }] });
    proxy.trap = undefined;
    assert.equal(contextIds!.length, 1);
    assert.ok(seen >= 2, 'the statement was sent again on another connection');
    assert.equal(await contextsNamed(contextName), 1);
  });

  test('lost while COMMIT is in flight: UNAVAILABLE, not re-run, and nothing half-written', async () => {
    const contextName = `during-commit-${Date.now()}`;
    let armed = false;
    let sends = 0;
    proxy.trap = (chunk) => {
      if (chunk.includes(contextName)) {
        sends += 1;
        armed = true;
        return false;
      }
      return armed && chunk.includes('COMMIT');
    };
    await assert.rejects(
      api.putContexts({ contexts: [{ typeId: contextType, name: contextName }] }),
      (e: unknown) =>
        e instanceof MlmdError && e.code === Code.UNAVAILABLE && /outcome of this call is unknown/.test(e.message),
    );
    proxy.trap = undefined;
    assert.equal(sends, 1, 'an in-doubt transaction is never re-run');
    // The COMMIT never reached the database, which rolled the transaction back when the connection closed.
    assert.equal(await contextsNamed(contextName), 0);
  });

  test('every pooled connection broken at once: the next calls succeed on new connections', async () => {
    for (let i = 0; i < 3; i++) await api.getContextTypes({});
    proxy.cutAll();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api.putContexts({ contexts: [{ typeId: contextType, name: `after-cut-${Date.now()}-${i}` }] }),
      ),
    );
    assert.equal(results.length, 6);
  });
});

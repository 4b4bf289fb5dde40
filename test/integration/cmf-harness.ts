/**
 * Harness of the CMF integration tests: a real server (MLMD + CmfService, as the CLI registers them) on a temp
 * SQLite file, an MLMD client to inspect the raw records and a CmfService client.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MlmdClient } from '../../src/client';
import { CmfClient } from '../../src/client/cmf-client';
import { createCmfApi } from '../../src/cmf/api';
import { createMlmdApi } from '../../src/mlmd/store';
import { cmfServiceRegistration } from '../../src/server/cmf-service';
import { startServer, type ServerHandle } from '../../src/server/server';
import { openTestStore } from '../helpers/backend';

export interface CmfTestServer {
  mlmd: MlmdClient;
  cmf: CmfClient;
  address: string;
  dir: string;
  dbPath: string;
  server: ServerHandle;
  stop(): Promise<void>;
}

export async function startCmfServer(): Promise<CmfTestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-it-'));
  const store = await openTestStore(path.join(dir, 'mlmd'));
  const { db } = store;
  const dbPath = store.location;
  const server = await startServer({
    api: createMlmdApi(db),
    extraServices: [cmfServiceRegistration(createCmfApi(db))],
    port: 0,
    host: '127.0.0.1',
    shutdownGraceMs: 2_000,
    onShutdown: async () => {
      await db.close();
      await store.remove();
    },
  });
  const address = `127.0.0.1:${server.port}`;
  const mlmd = new MlmdClient(address, { deadlineMs: 30_000 });
  const cmf = new CmfClient(address, { deadlineMs: 30_000 });
  let stopped: Promise<void> | undefined;
  return {
    mlmd,
    cmf,
    address,
    dir,
    dbPath,
    server,
    stop: () =>
      (stopped ??= (async () => {
        mlmd.close();
        cmf.close();
        await server.shutdown();
        fs.rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

export const s = (value: string) => ({ value: { $case: 'stringValue' as const, value } });
export const i = (value: bigint | number) => ({ value: { $case: 'intValue' as const, value: BigInt(value) } });
export const d = (value: number) => ({ value: { $case: 'doubleValue' as const, value } });

/** A Value as a plain JS value (string, bigint or number). */
export function v(x: { value?: { $case: string; value: unknown } } | undefined): unknown {
  return x?.value?.value;
}

export function props(
  m: { [k: string]: { value?: { $case: string; value: unknown } } } | undefined,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, x]) => [k, v(x)]));
}

export const H1 = '236d9502e0283d91f689d7038b8508a2';
export const H2 = '0123456789abcdef0123456789abcdef';
export const H3 = 'fedcba9876543210fedcba9876543210';
export const HDIR = 'aaaabbbbccccddddeeeeffff00001111.dir';
export const remote = (h: string) => `/remote/files/md5/${h.slice(0, 2)}/${h.slice(2)}`;

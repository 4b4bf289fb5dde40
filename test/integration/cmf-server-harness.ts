/**
 * Harness of the cmf-server API tests: a real server (MLMD + CmfService on gRPC, the cmf-server API on the HTTP
 * listener, wired as the CLI wires them) on the test backend, with its data directory in a temp folder.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

import { MlmdClient } from '../../src/client';
import { CmfClient } from '../../src/client/cmf-client';
import { cmfServerHttp } from '../../src/cli/cmf-server';
import { buildServerPlan } from '../../src/cli/config';
import { createCmfApi } from '../../src/cmf/api';
import { createMlmdApi } from '../../src/mlmd/store';
import { cmfServiceRegistration } from '../../src/server/cmf-service';
import { startServer, type ServerHandle } from '../../src/server/server';
import { fixedScope } from '../../src/server/services';
import { openTestStore } from '../helpers/backend';

export interface CmfServerUnderTest {
  /** http://host:port of the HTTP listener. */
  url: string;
  mlmd: MlmdClient;
  cmf: CmfClient;
  dataDir: string;
  server: ServerHandle;
  stop(): Promise<void>;
}

export async function startCmfHttpServer(
  options: { host?: string; maxMessageBytes?: number; maxUploadBytes?: number } = {},
): Promise<CmfServerUnderTest> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-http-'));
  const store = await openTestStore(path.join(dir, 'mlmd'));
  const { db } = store;
  const host = options.host ?? '127.0.0.1';
  const plan = buildServerPlan({
    http_port: 0,
    host,
    cmf_data_dir: path.join(dir, 'data'),
    ...(options.maxMessageBytes ? { max_message_bytes: options.maxMessageBytes } : {}),
    ...(options.maxUploadBytes ? { cmf_max_upload_bytes: options.maxUploadBytes } : {}),
  });
  const cmfApi = createCmfApi(db);
  const http = cmfServerHttp(plan, (e) => process.stderr.write(`cmf-server route: ${String(e)}\n`));
  const parts = await http.partsFor(db, plan.cmfServer.dataDir);
  const server = await startServer({
    api: createMlmdApi(db),
    extraServices: [cmfServiceRegistration(cmfApi)],
    port: 0,
    host,
    maxMessageBytes: plan.maxMessageBytes,
    shutdownGraceMs: 2_000,
    http: { port: 0, routes: [http.route(fixedScope(parts))] },
    onShutdown: async () => {
      await db.close();
      await store.remove();
    },
  });
  http.setHttpPort(server.httpPort!);
  const address = `${host}:${server.port}`;
  const mlmd = new MlmdClient(address, { deadlineMs: 60_000 });
  const cmf = new CmfClient(address, { deadlineMs: 60_000 });
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${server.httpPort}`,
    mlmd,
    cmf,
    dataDir: path.join(dir, 'data'),
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

/**
 * POSTs JSON on a connection of its own; answers the status and the body (parsed when JSON). A pooled keep-alive
 * connection could be one the server (in this very process, its timers late behind a long merge) closes just as the
 * next POST goes out, which a client may not retry: a test artefact, not the server's answer.
 */
export function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown; text: string }> {
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // text/html (a pulled document is JSON too) or plain text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Uploads one file as the CLI does (multipart field "file"). */
export async function upload(
  url: string,
  filename: string,
  data: string | Buffer,
): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.append('file', new Blob([data]), filename);
  const res = await fetch(url, { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

/**
 * The HTTP/1.1 listener beside the gRPC port (src/server/http.ts), over real sockets: dispatch to the first route
 * that claims a request, the JSON error shape, body limits, failures that do not leak, and a shutdown that lets a
 * running request finish while the gRPC side drains too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMlmdApi } from '../../src/mlmd/store';
import { HttpError, readBody, sendJson, type HttpRoute } from '../../src/server/http';
import { startServer, type ServerHandle } from '../../src/server/server';
import { openDatabase } from '../../src/storage/open';

const BODY_LIMIT = 1024;

/** Lets the test decide when the slow route answers, so shutdown's wait is observed, not timed. */
let releaseSlow: () => void = () => {};
let slowStarted: () => void = () => {};

const routes: HttpRoute[] = [
  {
    name: 'echo',
    matches: (req, url) => req.method === 'POST' && url.pathname === '/echo',
    handle: async (req, res) => sendJson(res, 200, { length: (await readBody(req, BODY_LIMIT)).length }),
  },
  {
    name: 'teapot',
    matches: (_req, url) => url.pathname === '/teapot',
    handle: async () => {
      throw new HttpError(418, 'short and stout');
    },
  },
  {
    name: 'broken',
    matches: (_req, url) => url.pathname === '/broken',
    handle: async () => {
      throw new Error('secret detail from deep inside');
    },
  },
  {
    name: 'slow',
    matches: (_req, url) => url.pathname === '/slow',
    handle: async (_req, res) => {
      slowStarted();
      await new Promise<void>((resolve) => (releaseSlow = resolve));
      sendJson(res, 200, { done: true });
    },
  },
];

describe('HTTP listener', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-http-'));
  const errors: string[] = [];
  let server: ServerHandle;
  let base: string;

  before(async () => {
    const db = await openDatabase({ kind: 'sqlite', filenameUri: path.join(dir, 'mlmd.db') });
    server = await startServer({
      api: createMlmdApi(db),
      host: '127.0.0.1',
      port: 0,
      http: { port: 0, routes, onError: (route, e) => errors.push(`${route}: ${(e as Error).message}`) },
      onShutdown: () => db.close(),
    });
    base = `http://127.0.0.1:${server.httpPort}`;
  });
  after(async () => {
    releaseSlow();
    await server.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('dispatches to the route that claims the request', async () => {
    const res = await fetch(`${base}/echo`, { method: 'POST', body: 'hello' });
    assert.deepEqual([res.status, await res.json()], [200, { length: 5 }]);
  });

  test('an unclaimed request is a JSON 404 naming it', async () => {
    const res = await fetch(`${base}/nothing/here`);
    assert.deepEqual([res.status, await res.json()], [404, { error: 'no such resource: GET /nothing/here' }]);
  });

  test('a body over the limit is 413, whether declared or streamed', async () => {
    const declared = await fetch(`${base}/echo`, { method: 'POST', body: 'x'.repeat(BODY_LIMIT + 1) });
    assert.equal(declared.status, 413);
    assert.match(((await declared.json()) as { error: string }).error, /over 1024 bytes/);
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(400)));
        controller.close();
      },
    });
    const streamed = await fetch(`${base}/echo`, { method: 'POST', body: chunks, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);
  });

  test("a route's HttpError keeps its status; an unexpected failure is a 500 that does not leak", async () => {
    const teapot = await fetch(`${base}/teapot`);
    assert.deepEqual([teapot.status, await teapot.json()], [418, { error: 'short and stout' }]);
    const broken = await fetch(`${base}/broken`);
    assert.deepEqual([broken.status, await broken.json()], [500, { error: 'internal error' }]);
    assert.deepEqual(errors, ['broken: secret detail from deep inside']);
  });

  test('a target starting with // stays a path (not a protocol-relative URL naming another host)', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.httpPort, path: '//healthz/x' }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual([res.status, JSON.parse(res.body)], [404, { error: 'no such resource: GET //healthz/x' }]);
  });

  test('GET /healthz reports serving', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.deepEqual([res.status, await res.json()], [200, { status: 'SERVING' }]);
  });

  test('shutdown lets a running request finish, then refuses connections', async () => {
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const slow = fetch(`${base}/slow`);
    await started;
    const stopped = server.shutdown();
    releaseSlow();
    const res = await slow;
    assert.deepEqual([res.status, await res.json()], [200, { done: true }]);
    await stopped;
    await assert.rejects(fetch(`${base}/healthz`));
  });
});

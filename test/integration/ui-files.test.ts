/**
 * The web UI's files on the HTTP listener (src/server/ui-files.ts), over real sockets: `/` is the app with its
 * security headers, hashed bundles are cacheable for ever, ETags and gzip work, and nothing outside the built folder
 * is reachable (the folder is read at start-up; request paths are only looked up, never joined).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';

import { createMlmdApi } from '../../src/mlmd/store';
import { startServer, type ServerHandle } from '../../src/server/server';
import { uiFiles } from '../../src/server/ui-files';
import { openDatabase } from '../../src/storage/open';

describe('web UI files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-ui-files-'));
  const built = path.join(dir, 'ui');
  const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;
  let server: ServerHandle;
  let unbuilt: ServerHandle;
  let base: string;

  before(async () => {
    fs.mkdirSync(path.join(built, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(built, 'index.html'), '<!doctype html><script src="/assets/app-ABCD1234.js"></script>');
    fs.writeFileSync(path.join(built, 'assets', 'app-ABCD1234.js'), script);
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'not for you');
    const db = await openDatabase({ kind: 'sqlite', filenameUri: ':memory:' });
    const ui = uiFiles(built);
    assert.equal(ui.built, true);
    server = await startServer({
      api: createMlmdApi(db),
      host: '127.0.0.1',
      port: 0,
      http: { port: 0, routes: [ui.route] },
      onShutdown: () => db.close(),
    });
    base = `http://127.0.0.1:${server.httpPort}`;
    const db2 = await openDatabase({ kind: 'sqlite', filenameUri: ':memory:' });
    const missing = uiFiles(path.join(dir, 'nothing-here'));
    assert.equal(missing.built, false);
    unbuilt = await startServer({
      api: createMlmdApi(db2),
      host: '127.0.0.1',
      port: 0,
      http: { port: 0, routes: [missing.route] },
      onShutdown: () => db2.close(),
    });
  });
  after(async () => {
    await server?.shutdown();
    await unbuilt?.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the app at / with a content security policy that allows only its own files', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(res.headers.get('content-security-policy')!, /default-src 'none'; script-src 'self'/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(await res.text(), /app-ABCD1234\.js/);
    // Deep links live in the fragment, which browsers never send: every one is a request for /.
    assert.equal((await fetch(`${base}/?x=1`)).status, 200);
  });

  it('serves hashed bundles cacheable for ever, gzipped when asked, with ETags', async () => {
    const plain = await fetch(`${base}/assets/app-ABCD1234.js`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(plain.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await plain.text(), script);
    const etag = plain.headers.get('etag')!;
    const again = await fetch(`${base}/assets/app-ABCD1234.js`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      // fetch would decompress for us; read the bytes as they travel.
      http
        .get(`${base}/assets/app-ABCD1234.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    assert.equal(raw.encoding, 'gzip');
    assert.equal(gunzipSync(raw.body).toString(), script);
  });

  it('reaches nothing else: other paths, traversal and other methods fall through to 404', async () => {
    for (const p of [
      '/secret.txt',
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/',
      '/index.htm',
    ]) {
      const res = await fetch(`${base}${p}`);
      assert.equal(res.status, 404, p);
      assert.doesNotMatch(await res.text(), /not for you/);
    }
    assert.equal((await fetch(`${base}/`, { method: 'POST', body: 'x' })).status, 404);
  });

  it('says how to build the UI when it is not built', async () => {
    const res = await fetch(`http://127.0.0.1:${unbuilt.httpPort}/`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build:ui/);
  });
});

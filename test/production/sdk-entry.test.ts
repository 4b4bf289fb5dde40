/**
 * The SDK entry of the built package (`cmf-mlmd/client` = dist/src/client) loads without any of the server's
 * modules: better-sqlite3 (native), pg, mysql2, pino, prom-client, neo4j-driver are made unloadable, and the SDK
 * still loads and builds its clients. The control: the server's own entry fails under the same rule.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../helpers/processes';

const FORBID = path.join(ROOT, 'test', 'package', 'forbid-server-modules.js');

function runWithServerModulesForbidden(script: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--require', FORBID, '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

before(() => ensureBuilt());

test('the SDK entry loads and builds its clients with the server modules forbidden', () => {
  const r = runWithServerModulesForbidden(`
    const sdk = require('./dist/src/client');
    for (const Client of [sdk.MlmdClient, sdk.CmfClient]) new Client('127.0.0.1:1').close();
    if (typeof sdk.Cmf.create !== 'function' || typeof sdk.dvcHash !== 'function') process.exit(3);
    const loaded = Object.keys(require.cache).filter((f) => /[\\\\/](better-sqlite3|pg|mysql2)[\\\\/]/.test(f));
    if (loaded.length > 0) { console.error(loaded); process.exit(4); }
  `);
  assert.equal(r.status, 0, r.stderr);
});

test('control: the server entry does load them, so the rule is in force', () => {
  const r = runWithServerModulesForbidden(`require('./dist/src/cli/main.js')`);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /the SDK must not load (better-sqlite3|pg|pino|prom-client|neo4j-driver)/);
});

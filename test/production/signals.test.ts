/**
 * Stopping the server the way supervisors do (systemd, a container runtime, a terminal): start it with the README's
 * command (`npm start`, so npm → node), signal ONE process, and check that the whole tree is gone, every port is
 * free and the SQLite file is closed cleanly (no WAL left, integrity ok, the data there), within a bound.
 * Also: a second signal cuts a shutdown short; a call in flight when the signal lands still completes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  PutArtifactTypeRequest,
  PutArtifactTypeResponse,
} from '../../generated/ml_metadata/proto/metadata_store_service';
import { MlmdClient } from '../../src/client';
import { HealthClient } from '../helpers/grpc-probes';
import { freePort } from '../helpers/net';
import {
  BUILT_CLI,
  commandLine,
  ensureBuilt,
  inspectSqlite,
  isAlive,
  launch,
  logLines,
  portFree,
  processTree,
  type Launched,
} from '../helpers/processes';
import { waitFor } from '../helpers/wait';

/** How long a stopped server may take to be entirely gone (a shutdown with nothing running takes milliseconds). */
const GONE_WITHIN_MS = 20_000;
/** The types writeTypes created (a new store also holds MLMD's own `mlmd.*` types). */
const TYPES_WRITTEN = "SELECT COUNT(*) FROM Type WHERE name NOT LIKE 'mlmd.%'";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-signals-'));
/** Every process a test started (recorded once it listens), killed at the end whatever the outcome. */
const started = new Set<number>();

before(() => ensureBuilt());
after(() => {
  for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function listening(server: Launched): Promise<void> {
  started.add(server.child.pid!);
  await server.started();
  for (const pid of processTree(server.child.pid!)) started.add(pid);
}

interface Started {
  server: Launched;
  db: string;
  ports: number[];
  address: string;
}

/** `npm start -- <flags>` in its own process group, as a supervisor starts a service, with every listener on. */
async function npmStart(name: string): Promise<Started> {
  const db = path.join(tmp, `${name}.db`);
  const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const server = launch(
    'npm',
    [
      'start',
      '--',
      `--db=${db}`,
      `--grpc_port=${grpcPort}`,
      `--http_port=${httpPort}`,
      `--metrics_port=${metricsPort}`,
    ],
    { detached: true },
  );
  await listening(server);
  return { server, db, ports: [grpcPort, httpPort, metricsPort], address: `127.0.0.1:${grpcPort}` };
}

/** Writes something, so the file has a WAL to fold back in at shutdown. */
async function writeTypes(address: string, n: number): Promise<void> {
  const client = new MlmdClient(address);
  try {
    for (let i = 0; i < n; i++) await client.putArtifactType({ artifactType: { name: `t${i}` } });
  } finally {
    client.close();
  }
}

/** Everything a supervisor expects once its service stopped. */
async function assertCleanlyGone(s: Started, tree: number[], types: number): Promise<void> {
  await waitFor('every process of the tree to exit', () => tree.every((pid) => !isAlive(pid)), GONE_WITHIN_MS);
  await s.server.exited; // the output is complete
  for (const port of s.ports) assert.ok(await portFree(port), `port ${port} is still held`);
  const file = inspectSqlite(s.db, TYPES_WRITTEN);
  assert.deepEqual(file.leftovers, [], 'the SQLite journal files were not removed (database not closed cleanly)');
  assert.equal(file.integrity, 'ok');
  assert.equal(file.count, types);
  const lines = logLines(s.server.output());
  assert.ok(
    lines.some((l) => l.msg.startsWith('stopped:')),
    `no "stopped" line:\n${s.server.output()}`,
  );
  assert.ok(!lines.some((l) => /again: exiting now/.test(l.msg)), 'a single request was taken for two');
}

// Each test has its own ports, file and process group: they run side by side.
describe('npm start under a supervisor', { concurrency: 3 }, () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} to the npm process stops the whole tree gracefully`, async () => {
      const s = await npmStart(`npm-${signal}`);
      await writeTypes(s.address, 3);
      const tree = processTree(s.server.child.pid!);
      // npm and the server itself, with nothing (no shell) in between: the start script execs node.
      assert.ok(tree.length >= 2, `process tree: ${tree.map(commandLine).join(' | ')}`);
      assert.ok(
        tree.some((pid) => commandLine(pid).includes('dist/src/cli/main.js')),
        `the built server is not in the tree: ${tree.map(commandLine).join(' | ')}`,
      );
      process.kill(s.server.child.pid!, signal);
      await assertCleanlyGone(s, tree, 3);
      assert.deepEqual(await s.server.exited, { code: 0, signal: null });
      assert.ok(logLines(s.server.output()).some((l) => l.msg.startsWith(`${signal}: shutting down gracefully`)));
    });
  }

  test('SIGTERM to the server process itself (cmf-mlmd, below npm) stops it and npm', async () => {
    const s = await npmStart('server-sigterm');
    await writeTypes(s.address, 2);
    const tree = processTree(s.server.child.pid!);
    const serverPid = tree.find((pid) => commandLine(pid).includes('dist/src/cli/main.js'));
    assert.ok(serverPid, tree.map(commandLine).join(' | '));
    process.kill(serverPid, 'SIGTERM');
    await assertCleanlyGone(s, tree, 2);
    assert.deepEqual(await s.server.exited, { code: 0, signal: null });
  });

  test("Ctrl-C (SIGINT to the whole process group: the terminal's copy and npm's) is one graceful stop", async () => {
    const s = await npmStart('ctrl-c');
    await writeTypes(s.address, 1);
    const tree = processTree(s.server.child.pid!);
    process.kill(-s.server.child.pid!, 'SIGINT');
    await assertCleanlyGone(s, tree, 1);
    const stops = logLines(s.server.output()).filter((l) => /shutting down gracefully/.test(l.msg));
    assert.equal(stops.length, 1, s.server.output());
  });

  test('SIGKILL to npm: the orphaned server notices and stops gracefully', async () => {
    const s = await npmStart('npm-killed');
    await writeTypes(s.address, 2);
    const tree = processTree(s.server.child.pid!);
    process.kill(s.server.child.pid!, 'SIGKILL');
    await assertCleanlyGone(s, tree, 2);
    assert.ok(logLines(s.server.output()).some((l) => /^parent process \d+ .*exited: shutting down/.test(l.msg)));
  });
});

/** The built bin started directly, with the health service watched over a held stream. */
async function startBuilt(name: string): Promise<Started> {
  const db = path.join(tmp, `${name}.db`);
  const grpcPort = await freePort();
  const server = launch(process.execPath, [BUILT_CLI, `--db=${db}`, `--grpc_port=${grpcPort}`, '--http_port=-1']);
  await listening(server);
  return { server, db, ports: [grpcPort], address: `127.0.0.1:${grpcPort}` };
}

describe('shutdown in progress', () => {
  test('a second signal during the shutdown exits at once (a health Watch stream holds the drain open)', async () => {
    const s = await startBuilt('second-signal');
    await writeTypes(s.address, 1);
    const health = new HealthClient(s.address, grpc.credentials.createInsecure());
    const statuses: string[] = [];
    const watch = (health as unknown as { watch(r: object): grpc.ClientReadableStream<{ status: string }> }).watch({
      service: '',
    });
    watch.on('data', (r: { status: string }) => statuses.push(r.status));
    watch.on('error', () => undefined);
    try {
      await waitFor('the Watch stream to report SERVING', () => statuses.includes('SERVING'), 10_000);
      process.kill(s.server.child.pid!, 'SIGTERM');
      // Health turns NOT_SERVING as shutdown begins; the held stream keeps the drain waiting (10 s grace).
      await waitFor('the Watch stream to report NOT_SERVING', () => statuses.includes('NOT_SERVING'), 10_000);
      const t0 = Date.now();
      process.kill(s.server.child.pid!, 'SIGINT');
      assert.deepEqual(await s.server.exited, { code: 130, signal: null });
      assert.ok(Date.now() - t0 < 5_000, `the second signal took ${Date.now() - t0} ms to end the process`);
    } finally {
      watch.cancel();
      health.close();
    }
    assert.ok(await portFree(s.ports[0]));
    assert.ok(
      logLines(s.server.output()).some((l) => l.msg === 'SIGINT again: exiting now, without waiting for running calls'),
    );
    // Cut short, but never corrupt: SQLite recovers its WAL on the next open.
    const file = inspectSqlite(s.db, TYPES_WRITTEN);
    assert.equal(file.integrity, 'ok');
    assert.equal(file.count, 1);
  });

  test('a log reader that went away (a broken stderr pipe) does not keep the server from exiting', async () => {
    const s = await startBuilt('reader-gone');
    await writeTypes(s.address, 1);
    s.server.child.stdout!.destroy();
    s.server.child.stderr!.destroy();
    process.kill(s.server.child.pid!, 'SIGTERM');
    assert.deepEqual(await s.server.exited, { code: 0, signal: null });
    assert.ok(await portFree(s.ports[0]));
    assert.deepEqual(inspectSqlite(s.db, TYPES_WRITTEN).leftovers, []);
  });

  test('orphaned behind a forking shell (as under npx) with its log reader gone, it still stops and exits', async () => {
    const db = path.join(tmp, 'orphan.db');
    const grpcPort = await freePort();
    // npx runs the bin through `sh -c`, which forks: a signal to npx reaches the shell, never the server.
    const shell = launch(
      'sh',
      ['-c', `${process.execPath} ${BUILT_CLI} --db=${db} --grpc_port=${grpcPort} --http_port=-1`],
      {
        env: { ...process.env, npm_lifecycle_event: 'npx' },
      },
    );
    await listening(shell);
    const tree = processTree(shell.child.pid!);
    await writeTypes(`127.0.0.1:${grpcPort}`, 1);
    shell.child.stdout!.destroy();
    shell.child.stderr!.destroy();
    process.kill(shell.child.pid!, 'SIGTERM');
    await waitFor('the orphaned server to exit', () => tree.every((pid) => !isAlive(pid)), GONE_WITHIN_MS);
    assert.ok(await portFree(grpcPort));
    assert.deepEqual(inspectSqlite(db, TYPES_WRITTEN).leftovers, []);
  });

  test('a call in flight when SIGTERM arrives completes, then the server exits 0', async () => {
    const s = await startBuilt('in-flight');
    // A gRPC request sent in two halves over a raw HTTP/2 stream: the server has the call before the signal and
    // its body after it, so the call is certainly in flight while the shutdown begins.
    const message = Buffer.from(PutArtifactTypeRequest.encode({ artifactType: { name: 'during-shutdown' } }).finish());
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
    framed.writeUInt32BE(message.length, 1);
    const session = http2.connect(`http://${s.address}`);
    session.on('error', () => undefined);
    await new Promise<void>((resolve) => session.once('connect', () => resolve()));
    const stream = session.request({
      ':method': 'POST',
      ':path': '/ml_metadata.MetadataStoreService/PutArtifactType',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('trailers', (t) => (grpcStatus = String(t['grpc-status'])));
    const ended = new Promise<void>((resolve) => stream.on('close', () => resolve()));
    stream.write(framed.subarray(0, 4));
    // A PING is answered after the frames before it were processed: the server has opened the call.
    await new Promise<void>((resolve, reject) => session.ping((e) => (e ? reject(e) : resolve())));

    process.kill(s.server.child.pid!, 'SIGTERM');
    await waitFor(
      'the shutdown to begin',
      () => logLines(s.server.output()).some((l) => /^SIGTERM: shutting down/.test(l.msg)),
      10_000,
    );
    stream.end(framed.subarray(4));
    await ended;
    session.close();

    assert.equal(grpcStatus, '0', `grpc-status ${grpcStatus}\n${s.server.output()}`);
    const body = Buffer.concat(chunks);
    assert.ok(PutArtifactTypeResponse.decode(body.subarray(5)).typeId! > 0n);
    assert.deepEqual(await s.server.exited, { code: 0, signal: null });
    const file = inspectSqlite(s.db, "SELECT COUNT(*) FROM Type WHERE name = 'during-shutdown'");
    assert.deepEqual(file.leftovers, []);
    assert.equal(file.count, 1);
  });
});

/**
 * The server over real gRPC: a real SQLite file in a temp dir, the real MLMD domain, grpc-js clients.
 * Assertions are about transport behaviour (statuses, health, reflection, TLS, limits, lifecycle), not domain
 * features, which other suites cover.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';
import { createMlmdApi } from '../../src/mlmd/store';
import { startServer, type ServerHandle, type ServerOptions } from '../../src/server/server';
import type { Database } from '../../src/storage/database';
import { openDatabase } from '../../src/storage/open';
import { HealthClient, healthCheck, reflect } from '../helpers/grpc-probes';
import { freePort } from '../helpers/net';
import { startupLine } from '../helpers/processes';

const ROOT = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-server-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MlmdClient = grpc.makeGenericClientConstructor(MetadataStoreServiceService, 'MetadataStoreService');

interface CallResult {
  code: grpc.status;
  details: string;
  response?: unknown;
}

/** One unary call; resolves with the status whatever it is. */
function call(
  client: grpc.Client,
  method: keyof typeof MetadataStoreServiceService,
  request: unknown,
): Promise<CallResult> {
  const fn = (
    client as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, r?: unknown) => void) => void>
  )[method];
  return new Promise((resolve) =>
    fn.call(client, request, (err, response) =>
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', response }),
    ),
  );
}

function loadClientPackage(file: string, includeDirs: string[]): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, { includeDirs, keepCase: true, enums: String }));
}

type Ctor = new (address: string, creds: grpc.ChannelCredentials) => grpc.Client;
function lookup(obj: grpc.GrpcObject, dotted: string): Ctor {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) cur = (cur as Record<string, unknown>)[part];
  return cur as Ctor;
}

async function openFile(name: string): Promise<Database> {
  return openDatabase({ kind: 'sqlite', filenameUri: path.join(tmp, name) });
}

async function start(name: string, extra: Partial<ServerOptions> = {}): Promise<ServerHandle> {
  const db = await openFile(name);
  return startServer({ api: createMlmdApi(db), port: 0, host: '127.0.0.1', onShutdown: () => db.close(), ...extra });
}

describe('plaintext server', () => {
  let server: ServerHandle;
  let client: grpc.Client;
  let address: string;
  before(async () => {
    server = await start('plain.db');
    address = `127.0.0.1:${server.port}`;
    client = new MlmdClient(address, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.shutdown();
  });

  test('binds port 0 to a real port', () => {
    assert.ok(server.port > 0);
  });

  test('an MLMD RPC answers with a gRPC status (OK or a mapped domain code)', async () => {
    const r = await call(client, 'getArtifactTypes', {});
    assert.ok([grpc.status.OK, grpc.status.UNIMPLEMENTED].includes(r.code), `unexpected ${r.code}: ${r.details}`);
    // All 52 methods are registered: none gets grpc-js's answer for a method the server does not know.
    for (const method of Object.keys(MetadataStoreServiceService) as (keyof typeof MetadataStoreServiceService)[]) {
      const res = await call(client, method, {});
      assert.doesNotMatch(res.details, /does not implement the method/, method);
    }
  });

  test('health answers SERVING for the server and MetadataStoreService', async () => {
    assert.equal(await healthCheck(address, ''), 'SERVING');
    assert.equal(await healthCheck(address, 'ml_metadata.MetadataStoreService'), 'SERVING');
  });

  test('reflection lists the services and describes MetadataStoreService', async () => {
    const list = await reflect(address, { list_services: '' });
    const names = (list.list_services_response?.service ?? []).map((s) => s.name);
    assert.ok(names.includes('ml_metadata.MetadataStoreService'), names.join());
    assert.ok(names.includes('grpc.health.v1.Health'), names.join());
    const file = await reflect(address, { file_containing_symbol: 'ml_metadata.MetadataStoreService' });
    assert.ok(
      (file.file_descriptor_response?.file_descriptor_proto.length ?? 0) > 0,
      JSON.stringify(file.error_response),
    );
    const text = Buffer.concat(file.file_descriptor_response?.file_descriptor_proto ?? []).toString('latin1');
    assert.match(text, /PutArtifactType/);
    assert.match(text, /can_add_fields/, 'field names keep their snake_case');
  });

  test('a request larger than 4 MiB is accepted', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const r = await call(client, 'getArtifactsByExternalIds', { externalIds: [big] });
    assert.notEqual(r.code, grpc.status.RESOURCE_EXHAUSTED, r.details);
  });
});

test('the message limit is configurable', async () => {
  const server = await start('small.db', { maxMessageBytes: 1024 * 1024 });
  const client = new MlmdClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  try {
    const r = await call(client, 'getArtifactsByExternalIds', { externalIds: ['x'.repeat(2 * 1024 * 1024)] });
    assert.equal(r.code, grpc.status.RESOURCE_EXHAUSTED);
  } finally {
    client.close();
    await server.shutdown();
  }
});

test('shutdown flips health to NOT_SERVING, is bounded and closes the database', async () => {
  let closed = false;
  const db = await openFile('shutdown.db');
  const server = await startServer({
    api: createMlmdApi(db),
    port: 0,
    host: '127.0.0.1',
    shutdownGraceMs: 300,
    onShutdown: async () => {
      await db.close();
      closed = true;
    },
  });
  const client = new HealthClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  const watch = (client as unknown as { watch(r: object): grpc.ClientReadableStream<{ status: string }> }).watch({
    service: '',
  });
  const seen: string[] = [];
  const ended = new Promise<void>((resolve) => {
    watch.on('data', (r: { status: string }) => seen.push(r.status));
    watch.on('error', () => resolve());
    watch.on('end', () => resolve());
  });
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
  const t0 = Date.now();
  await server.shutdown(); // the open Watch stream would block a purely graceful shutdown for ever
  assert.ok(Date.now() - t0 < 5000);
  await ended;
  client.close();
  assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
  assert.equal(closed, true);
  await server.shutdown(); // idempotent
});

describe('TLS and mTLS', () => {
  const dir = path.join(tmp, 'pki');
  const pem = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
  const ssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  before(() => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
    ]);
    for (const who of ['server', 'client']) {
      ssl([
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${who}.key`,
        '-out',
        `${who}.csr`,
        '-subj',
        `/CN=${who === 'server' ? 'localhost' : 'client'}`,
      ]);
      ssl([
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${who}.pem`,
        '-days',
        '1',
        '-extfile',
        'san.ext',
      ]);
    }
  });

  test('TLS: a client trusting the CA connects; a plaintext client does not', async () => {
    const server = await start('tls.db', { tls: { serverKey: pem('server.key'), serverCert: pem('server.pem') } });
    const address = `localhost:${server.port}`;
    const secure = new MlmdClient(address, grpc.credentials.createSsl(Buffer.from(pem('ca.pem'))));
    const plain = new MlmdClient(address, grpc.credentials.createInsecure());
    try {
      const ok = await call(secure, 'getArtifactTypes', {});
      assert.notEqual(ok.code, grpc.status.UNAVAILABLE, ok.details);
      assert.equal((await call(plain, 'getArtifactTypes', {})).code, grpc.status.UNAVAILABLE);
    } finally {
      secure.close();
      plain.close();
      await server.shutdown();
    }
  });

  test('mTLS: a client certificate signed by custom_ca is required', async () => {
    const server = await start('mtls.db', {
      tls: { serverKey: pem('server.key'), serverCert: pem('server.pem'), customCa: pem('ca.pem'), clientVerify: true },
    });
    const address = `localhost:${server.port}`;
    const ca = Buffer.from(pem('ca.pem'));
    const withCert = new MlmdClient(
      address,
      grpc.credentials.createSsl(ca, Buffer.from(pem('client.key')), Buffer.from(pem('client.pem'))),
    );
    const withoutCert = new MlmdClient(address, grpc.credentials.createSsl(ca));
    try {
      const ok = await call(withCert, 'getArtifactTypes', {});
      assert.notEqual(ok.code, grpc.status.UNAVAILABLE, ok.details);
      assert.equal((await call(withoutCert, 'getArtifactTypes', {})).code, grpc.status.UNAVAILABLE);
    } finally {
      withCert.close();
      withoutCert.close();
      await server.shutdown();
    }
  });

  test('ssl_config with a path instead of PEM contents is refused clearly', async () => {
    await assert.rejects(
      start('bad-tls.db', { tls: { serverKey: '/etc/key.pem', serverCert: '/etc/cert.pem' } }),
      /PEM contents/,
    );
  });
});

describe('CLI', () => {
  function runCli(args: string[]) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT, // so --import tsx resolves; every test names its database by absolute path
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exited, stderr: () => stderr };
  }

  test('serves a config-file SQLite database and exits 0 on SIGTERM', async () => {
    const dbFile = path.join(tmp, 'x.db');
    const config = path.join(tmp, 'server.pbtxt');
    fs.writeFileSync(
      config,
      `# test config\nconnection_config { sqlite { filename_uri: ${JSON.stringify(dbFile)} } }\n`,
    );
    const port = await freePort();
    const cli = runCli([
      `--grpc_port=${port}`,
      '--http_port=0',
      `--cmf_data_dir=${path.join(tmp, 'cmf-data')}`,
      '--host',
      '127.0.0.1',
      `--metadata_store_server_config_file=${config}`,
    ]);
    const deadline = Date.now() + 20_000;
    while (startupLine(cli.stderr()) === undefined) {
      assert.ok(Date.now() < deadline, `no start-up line: ${cli.stderr()}`);
      assert.equal(cli.child.exitCode, null, cli.stderr());
      await new Promise((r) => setTimeout(r, 50));
    }
    // The start-up line is a JSON log line: its message names the address, its config the effective settings.
    const startup = startupLine(cli.stderr())!;
    assert.match(startup.msg, new RegExp(`^listening on 127\\.0\\.0\\.1:${port} `));
    const listeners = startup.config as { grpc: { port: number }; http: { port: number } };
    assert.equal(listeners.grpc.port, port);
    const client = new MlmdClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const r = await call(client, 'getArtifactTypes', {});
    client.close();
    assert.ok([grpc.status.OK, grpc.status.UNIMPLEMENTED].includes(r.code), r.details);
    assert.ok(fs.existsSync(dbFile));
    // The HTTP listener on the port the start-up line names answers its health probe.
    const httpPort = listeners.http.port;
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    assert.deepEqual([health.status, await health.json()], [200, { status: 'SERVING' }]);
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.stderr());
  });

  test("upstream's MySQL flags with an unreachable database exit 1 with a clear message", async () => {
    const cli = runCli(['--mysql_config_host=127.0.0.1', '--mysql_config_port=1', '--mysql_config_database=mlmd']);
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /Cannot connect to MySQL database 127\.0\.0\.1:1\/mlmd/);
  });

  test('an unknown flag exits 2 with one line pointing at --help; a bad port exits 1', async () => {
    const unknown = runCli(['--grpc_prot=1']);
    assert.equal(await unknown.exited, 2);
    assert.match(unknown.stderr(), /^\{.*"msg":"unknown flag --grpc_prot; cmf-mlmd --help lists the flags"\}\n$/);
    const badPort = runCli(['--grpc_port=0']);
    assert.equal(await badPort.exited, 1);
    assert.match(badPort.stderr(), /--grpc_port/);
  });

  test('selecting PostgreSQL with an unreachable database exits 1 with a clear message', async () => {
    const cli = runCli([
      '--metadata_source_config_type=postgresql',
      '--postgres_config_host=127.0.0.1',
      '--postgres_config_port=1',
      '--postgres_config_user=u',
      '--postgres_config_dbname=mlmd',
    ]);
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /Cannot connect to PostgreSQL database 127\.0\.0\.1:1\/mlmd/);
  });
});

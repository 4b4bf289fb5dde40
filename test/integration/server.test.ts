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
import { Event_Type } from '../../generated/ml_metadata/proto/metadata_store';
import { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';
import { MlmdClient as SdkClient, statusName } from '../../src/client';
import { createMlmdApi } from '../../src/mlmd/store';
import { startServer, type ServerHandle, type ServerOptions } from '../../src/server/server';
import { MAX_DETAILS_CHARS } from '../../src/server/status';
import type { Database } from '../../src/storage/database';
import { openDatabase } from '../../src/storage/open';
import { HealthClient, healthCheck, reflect } from '../helpers/grpc-probes';
import { freePort } from '../helpers/net';
import { startupLine } from '../helpers/processes';
import { waitFor, within } from '../helpers/wait';

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

  test('a status message echoing a huge request value is cut, so the caller still gets its status', async () => {
    // The health library's NOT_FOUND names the requested service: with a 1 MB name the trailer was too large to
    // deliver and the call never ended (found by the fuzz suite). Every status grpc-js sends is cut the same way.
    const name = 'x'.repeat(1 << 20);
    await assert.rejects(healthCheck(address, name), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.NOT_FOUND);
      assert.match(e.details, /^Health status unknown for service x+\.\.\. \(truncated\)$/);
      assert.ok(e.details.length <= MAX_DETAILS_CHARS + 20, `${e.details.length} characters`);
      return true;
    });
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

  test('a malformed message in a reflection stream is answered in-band; the stream still ends with a status', async () => {
    // Two large responses, then bytes that are no protobuf message: grpc-js's own "Error deserializing request"
    // never sent its status here, and the call hung until the client's deadline.
    const symbol = Buffer.from('22206d6c5f6d657461646174612e4d6574616461746153746f726553657276696365', 'hex');
    const malformed = Buffer.from('22116d6c5f6d657461646174612e56616c756552808080808080808040010203', 'hex');
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      for (const version of ['v1', 'v1alpha']) {
        const replies: Buffer[] = [];
        const code = await new Promise<grpc.status>((resolve) => {
          const callStream = raw.makeBidiStreamRequest(
            `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
            (b: Buffer) => b,
            (b: Buffer) => b,
            new grpc.Metadata(),
            { deadline: Date.now() + 60_000 },
          );
          callStream.on('data', (b: Buffer) => replies.push(b));
          callStream.on('error', (e: grpc.ServiceError) => resolve(e.code));
          callStream.on('status', (st: grpc.StatusObject) => resolve(st.code));
          for (const m of [symbol, symbol, malformed]) callStream.write(m);
          callStream.end();
        });
        assert.equal(code, grpc.status.OK, version);
        assert.equal(replies.length, 3, version);
        // ServerReflectionResponse.error_response is field 7: tag 0x3a, then error_code 3 (INVALID_ARGUMENT)
        const last = replies[2];
        const at = last.indexOf(0x3a);
        assert.ok(at >= 0 && last.includes(Buffer.from([0x08, 0x03])), last.toString('hex'));
      }
    } finally {
      raw.close();
    }
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
  await waitFor('the first health status', () => seen.length > 0);
  // the open Watch stream would block a purely graceful shutdown for ever
  await within('shutdown with an open Watch stream', server.shutdown());
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
  function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT, // so --import tsx resolves; every test names its database by absolute path
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
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
    await waitFor('the start-up line', () => {
      assert.equal(cli.child.exitCode, null, cli.stderr());
      return startupLine(cli.stderr()) !== undefined;
    });
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

  test('SIGTERM during a slow read: handled at once, the read is stopped, the process exits 0', async () => {
    // A read that would run for minutes, far past the shutdown's grace period (10 s) on any machine: a condition
    // relating two events_ aliases over one artifact's 40,000 events (1.6 billion combinations).
    const dbFile = path.join(tmp, 'slow.db');
    const port = await freePort();
    const cli = runCli(
      [
        `--grpc_port=${port}`,
        '--http_port=-1',
        `--cmf_data_dir=${path.join(tmp, 'cmf-data-slow')}`,
        '--host',
        '127.0.0.1',
        `--db=${dbFile}`,
      ],
      {
        MLMD_READ_TIME_LIMIT_MS: '600000',
      },
    );
    await waitFor('the start-up line', () => {
      assert.equal(cli.child.exitCode, null, cli.stderr());
      return /listening on/.test(cli.stderr());
    });
    const client = new SdkClient(`127.0.0.1:${port}`, { deadlineMs: 600_000 });
    try {
      const at = (await client.putArtifactType({ artifactType: { name: 'T' } })).typeId!;
      const et = (await client.putExecutionType({ executionType: { name: 'E' } })).typeId!;
      const [artifactId] = (await client.putArtifacts({ artifacts: [{ typeId: at }] })).artifactIds;
      const { executionIds } = await client.putExecutions({
        executions: Array.from({ length: 13_334 }, () => ({ typeId: et })),
      });
      await client.putEvents({
        events: executionIds.flatMap((executionId) =>
          [Event_Type.INPUT, Event_Type.OUTPUT, Event_Type.DECLARED_INPUT].map((type) => ({
            artifactId,
            executionId,
            type,
          })),
        ),
      });
      let settled = false;
      const slow = client
        .getArtifacts({ options: { filterQuery: 'events_a.execution_id + events_b.execution_id = -3' } })
        .then(
          () => 'OK',
          (e: { code?: number }) => statusName(e.code ?? -1),
        )
        .finally(() => (settled = true));
      // A read issued after it answers (on another reader thread): the slow one is running by then.
      await client.getArtifactsById({ artifactIds: [artifactId] });
      cli.child.kill('SIGTERM');
      await waitFor('the shutdown line', () => /SIGTERM: shutting down/.test(cli.stderr()));
      assert.equal(
        settled,
        false,
        `the signal was handled while the slow read was still running (it ended ${settled ? await slow : ''})`,
      );
      assert.equal(await within('the server to exit', cli.exited), 0, cli.stderr());
      assert.ok(['UNAVAILABLE', 'CANCELLED'].includes(await slow), `the slow read ended ${await slow}`);
    } finally {
      client.close();
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
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

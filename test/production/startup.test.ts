/**
 * Start-up of the built server (dist/, plain node): it refuses every configuration it cannot honour with exit
 * non-zero and ONE log line saying what to fix; it states its effective configuration in one start-up line; it
 * never writes a secret (passwords in flags, config, environment or URIs; the TLS private key) anywhere.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { MlmdClient } from '../../src/client';
import { freePort } from '../helpers/net';
import { BUILT_CLI, ensureBuilt, launch, logLines, ROOT, type LogLine } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-startup-'));
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

before(() => ensureBuilt());
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built server to its exit (every case here fails before serving, or prints and exits). */
function run(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const child = spawn(process.execPath, [BUILT_CLI, ...args], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** A port something else is bound to (0.0.0.0, as the server binds by default). */
async function occupiedPort(): Promise<{ port: number; release(): Promise<void> }> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '0.0.0.0', () => resolve()));
  return { port: (s.address() as net.AddressInfo).port, release: () => new Promise((r) => s.close(() => r())) };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}

/** The run wrote exactly one line, on stderr, a JSON log line at level fatal; returns it. */
function oneFatalLine(r: Run): LogLine {
  assert.equal(r.stdout, '', 'nothing on stdout');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one line, got:\n${r.stderr}`);
  const [line] = logLines(lines[0]);
  assert.ok(line, `not a JSON log line: ${lines[0]}`);
  assert.equal(line.level, 'fatal');
  return line;
}

// Each case is its own short-lived process: they run side by side.
describe('configuration errors: exit non-zero with one line that says what to fix', { concurrency: 4 }, () => {
  const cases: Array<{ name: string; args: () => Promise<string[]> | string[]; code: number; says: RegExp }> = [
    { name: 'unknown flag', args: () => ['--grpc_prot=1'], code: 2, says: /unknown flag --grpc_prot; .*--help/ },
    { name: 'flag without its value', args: () => ['--db'], code: 2, says: /--db needs a value/ },
    { name: 'non-numeric port', args: () => ['--grpc_port=http'], code: 2, says: /--grpc_port needs an integer/ },
    { name: 'unknown log level', args: () => ['--log_level=loud'], code: 2, says: /--log_level must be one of/ },
    {
      name: 'contradictory: --db with a config file',
      args: () => ['--db=x.db', '--metadata_store_server_config_file=y.pbtxt'],
      code: 1,
      says: /--db cannot be combined with a config file/,
    },
    {
      name: 'contradictory: upgrade and downgrade',
      args: () => ['--enable_database_upgrade', '--downgrade_db_schema_version=4'],
      code: 1,
      says: /cannot be used together/,
    },
    {
      name: 'contradictory: one port for two listeners',
      args: () => ['--grpc_port=9123', '--metrics_port=9123'],
      code: 1,
      says: /--metrics_port must differ from --grpc_port/,
    },
    { name: 'port out of range', args: () => ['--grpc_port=70000'], code: 1, says: /--grpc_port must be between/ },
    {
      name: 'unreadable config file',
      args: () => [`--metadata_store_server_config_file=${path.join(tmp, 'missing.pbtxt')}`],
      code: 1,
      says: /cannot read config file .*missing\.pbtxt: ENOENT/,
    },
    {
      name: 'config file that does not parse',
      args: () => {
        const f = path.join(tmp, 'bad.pbtxt');
        fs.writeFileSync(f, 'connection_config { sqlite { filename_uri: "x" }\n');
        return [`--metadata_store_server_config_file=${f}`];
      },
      code: 1,
      says: /cannot parse config file .*bad\.pbtxt/,
    },
    {
      name: 'TLS key given as a path',
      args: () => {
        const f = path.join(tmp, 'tls-path.pbtxt');
        fs.writeFileSync(
          f,
          `connection_config { fake_database {} }\nssl_config { server_key: "/etc/key.pem" server_cert: "/etc/cert.pem" }\n`,
        );
        return [
          `--metadata_store_server_config_file=${f}`,
          '--http_port=-1',
          `--grpc_port=${39000 + (process.pid % 1000)}`,
        ];
      },
      code: 1,
      says: /ssl_config\.server_key must hold PEM contents/,
    },
    {
      name: 'TLS key without its PEM armour (a secret all the same: not quoted)',
      args: () => {
        const f = path.join(tmp, 'tls-bare.pbtxt');
        fs.writeFileSync(
          f,
          `connection_config { fake_database {} }\nssl_config { server_key: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" server_cert: "-----BEGIN CERTIFICATE-----" }\n`,
        );
        return [
          `--metadata_store_server_config_file=${f}`,
          '--http_port=-1',
          `--grpc_port=${39500 + (process.pid % 400)}`,
        ];
      },
      code: 1,
      says: /^ssl_config\.server_key must hold PEM contents \(it looks like a path; its value is not shown\)$/,
    },
    {
      name: 'SQLite file in a directory that does not exist',
      // Fails while opening the store, before any port is bound.
      args: () => [`--db=${path.join(tmp, 'no-such-dir', 'x.db')}`, '--http_port=-1', '--grpc_port=1'],
      code: 1,
      says: /^cannot open the metadata store: Cannot open SQLite database ".*no-such-dir\/x\.db"/,
    },
    {
      name: 'MySQL flags that select no database',
      args: () => ['--mysql_config_host=db'],
      code: 1,
      says: /^to use MySQL, --mysql_config_port and --mysql_config_database must be given$/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await run(await c.args());
      assert.equal(r.code, c.code, r.stderr);
      assert.match(oneFatalLine(r).msg, c.says);
    });
  }

  test('unreachable PostgreSQL, after the retries; the password is not in the line', async () => {
    const password = 'Pg-Flag-Secret-42';
    const r = await run([
      '--metadata_source_config_type=postgresql',
      '--postgres_config_host=127.0.0.1',
      `--postgres_config_port=${await freePort()}`,
      '--postgres_config_user=mlmd',
      `--postgres_config_password=${password}`,
      '--postgres_config_dbname=mlmd',
      '--metadata_store_connection_retries=2',
    ]);
    assert.equal(r.code, 1);
    const line = oneFatalLine(r);
    assert.match(line.msg, /cannot open the metadata store \(tried 3 times\): Cannot connect to PostgreSQL database/);
    assert.match(line.msg, /check the PostgreSQL host, port, user, password and dbname/);
    assert.ok(!r.stderr.includes(password));
  });

  test('unreachable MySQL (the flags Kubeflow passes), after the retries; the password is not in the line', async () => {
    const password = 'My-Flag-Secret-42';
    const r = await run([
      '--mysql_config_host=127.0.0.1',
      `--mysql_config_port=${await freePort()}`,
      '--mysql_config_user=mlmd',
      `--mysql_config_password=${password}`,
      '--mysql_config_database=metadb',
      '--metadata_store_connection_retries=2',
    ]);
    assert.equal(r.code, 1);
    const line = oneFatalLine(r);
    assert.match(line.msg, /cannot open the metadata store \(tried 3 times\): Cannot connect to MySQL database/);
    assert.match(line.msg, /check the MySQL host \(or socket\), port, user, password and database/);
    assert.ok(!r.stderr.includes(password));
  });

  for (const listener of ['grpc', 'http', 'metrics'] as const) {
    test(`port in use (${listener})`, async () => {
      const taken = await occupiedPort();
      const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort() };
      ports[listener] = taken.port;
      try {
        const r = await run([
          `--db=${path.join(tmp, `inuse-${listener}.db`)}`,
          `--grpc_port=${ports.grpc}`,
          `--http_port=${ports.http}`,
          `--metrics_port=${ports.metrics}`,
        ]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          oneFatalLine(r).msg,
          new RegExp(
            `cannot listen for .* on 0\\.0\\.0\\.0:${taken.port}: .*address already in use.*--${listener}_port`,
          ),
        );
      } finally {
        await taken.release();
      }
    });
  }
});

describe('what the binary prints', () => {
  test('--version prints the package version on stdout and exits 0', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `cmf-mlmd ${VERSION}\n`);
    assert.equal(r.stderr, '');
  });

  test('--help lists the new flags on stdout', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--metrics_port', '--log_level', '--access_log', '--version'])
      assert.ok(r.stdout.includes(flag));
  });

  test('--log_level=warn: no info lines (a warning still shows)', async () => {
    const port = await freePort();
    const server = launch(process.execPath, [
      BUILT_CLI,
      `--db=${path.join(tmp, 'quiet.db')}`,
      `--grpc_port=${port}`,
      '--http_port=-1',
      '--log_level=warn',
      // warns that it has no effect without the HTTP listener
      '--cors_allowed_origins=http://ui.example',
    ]);
    try {
      await waitFor('the warning', () => logLines(server.stderr()).some((l) => l.level === 'warn'), 20_000);
      // No start-up line at this level: wait for the port instead.
      await waitFor('the server to listen', () => canConnect(port), 20_000);
      const client = new MlmdClient(`127.0.0.1:${port}`);
      await client.getArtifactTypes({});
      client.close();
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const levels = logLines(server.stderr()).map((l) => l.level);
    assert.deepEqual([...new Set(levels)], ['warn'], server.stderr());
  });
});

describe('secrets never reach the log', () => {
  const pki = path.join(tmp, 'pki');
  before(() => {
    fs.mkdirSync(pki);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'server.key',
        '-out',
        'server.pem',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { cwd: pki, stdio: 'pipe' },
    );
  });

  test('passwords in flags, environment and URIs, and the TLS key: [REDACTED] in the start-up line, absent everywhere', async () => {
    const key = fs.readFileSync(path.join(pki, 'server.key'), 'utf8');
    const cert = fs.readFileSync(path.join(pki, 'server.pem'), 'utf8');
    const config = path.join(tmp, 'tls.pbtxt');
    fs.writeFileSync(
      config,
      `connection_config { sqlite { filename_uri: ${JSON.stringify(path.join(tmp, 'tls.db'))} } }\n` +
        `ssl_config { server_key: ${JSON.stringify(key)} server_cert: ${JSON.stringify(cert)} }\n`,
    );
    const secrets = {
      neo4jFlag: 'Neo4j-Flag-Secret-1',
      neo4jUri: 'Uri-Embedded-Secret-2',
      neo4jEnv: 'Neo4j-Env-Secret-3',
      pgEnv: 'Pg-Env-Secret-4',
      pgFlag: 'Pg-Flag-Secret-5',
    };
    const [port, metricsPort, neo4jPort] = [await freePort(), await freePort(), await freePort()];
    const server = launch(
      process.execPath,
      [
        BUILT_CLI,
        `--metadata_store_server_config_file=${config}`,
        `--grpc_port=${port}`,
        '--http_port=-1',
        `--metrics_port=${metricsPort}`,
        '--log_level=trace',
        '--access_log',
        // Nothing listens there: the graph worker fails and logs, with the URI, about every attempt.
        `--neo4j_uri=bolt://neo4j:${secrets.neo4jUri}@127.0.0.1:${neo4jPort}`,
        '--neo4j_user_name=neo4j',
        `--neo4j_passwd=${secrets.neo4jFlag}`,
        `--postgres_config_password=${secrets.pgFlag}`,
      ],
      {
        env: {
          ...process.env,
          NEO4J_PASSWD: secrets.neo4jEnv,
          PGPASSWORD: secrets.pgEnv,
          CMF_GRAPH_MIN_BACKOFF_MS: '50',
        },
      },
    );
    let startup: LogLine;
    try {
      startup = await server.started();
      const client = new MlmdClient(`localhost:${port}`, {
        credentials: grpc.credentials.createSsl(Buffer.from(cert)),
      });
      await client.putArtifactType({ artifactType: { name: 'secret-test' } });
      client.close();
      await waitFor(
        'the graph worker to log a failed attempt',
        () => logLines(server.stderr()).some((l) => /Neo4j write failed/.test(l.msg)),
        30_000,
      );
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const out = server.output();
    for (const [name, value] of Object.entries(secrets)) assert.ok(!out.includes(value), `${name} leaked:\n${out}`);
    const keyBody = key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    for (const l of keyBody) assert.ok(!out.includes(l), 'a line of the TLS private key leaked');
    assert.ok(!out.includes('PRIVATE KEY'));

    const config_ = startup.config as Record<string, Record<string, unknown>>;
    assert.deepEqual(config_.grpc, { host: '0.0.0.0', port, tls: 'TLS' });
    assert.deepEqual(config_.metrics, { host: '0.0.0.0', port: metricsPort, path: '/metrics' });
    assert.deepEqual(config_.backend, { kind: 'sqlite', file: path.join(tmp, 'tls.db'), mode: 'readwrite_opencreate' });
    assert.deepEqual(config_.graph, {
      uri: `bolt://neo4j:[REDACTED]@127.0.0.1:${neo4jPort}`,
      user: 'neo4j',
      password: '[REDACTED]',
    });
    assert.deepEqual(config_.log, { level: 'trace', access_log: true });
    assert.equal(config_.version, VERSION);
    // The access log saw the call (with its encoded sizes and peer).
    const access = logLines(out).find((l) => l.access === 'rpc' && l.method === 'PutArtifactType');
    assert.ok(access, out);
    assert.equal(access.code, 'OK');
    assert.equal(access.protocol, 'grpc');
    assert.ok((access.request_bytes as number) > 0 && (access.response_bytes as number) > 0);
    assert.match(String(access.peer), /127\.0\.0\.1/);
  });
});

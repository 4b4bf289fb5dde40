/**
 * The pure parts of running in production: secret collection and scrubbing, the start-up summary, the new flags'
 * validation, and the stop rules (duplicate signals, second signal).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildServerPlan, ConfigError } from '../../src/cli/config';
import { parseFlags, UsageError } from '../../src/cli/flags';
import { collectSecrets, uriPassword } from '../../src/cli/secrets';
import { redactUri, startupSummary } from '../../src/cli/startup-summary';
import { watchForStop } from '../../src/cli/stop-signals';
import { createLogger, secretScrubber } from '../../src/logger';
import { waitFor } from '../helpers/wait';

const plan = (argv: string[]) => buildServerPlan(parseFlags(argv), () => '');

/** A logger writing into an array of parsed lines. */
function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger({ secrets, destination, level: 'trace' }), lines };
}

describe('secrets', () => {
  test('the scrubber replaces raw and JSON-escaped forms, longest first, and leaves JSON literals alone', () => {
    const scrub = secretScrubber(['pa"ss\nword', 'abcd', 'abcdef', 'true', '1234', 'ab'])!;
    assert.equal(scrub('x abcdef y abcd z'), 'x [REDACTED] y [REDACTED] z');
    assert.equal(scrub(JSON.stringify({ m: 'pa"ss\nword' })), '{"m":"[REDACTED]"}');
    assert.equal(scrub('{"ok":true,"n":1234,"s":"ab"}'), '{"ok":true,"n":1234,"s":"ab"}');
    assert.equal(secretScrubber(['', 'ab']), undefined);
  });

  test('collected from flags (any *password*/*passwd* flag), the environment, URIs, the plan and the TLS key', () => {
    const key = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n${'B'.repeat(30)}\n-----END PRIVATE KEY-----\n`;
    const flags = parseFlags([
      '--neo4j_passwd=n1',
      '--neo4j_uri=bolt://u:uri-pw@h:7687',
      '--postgres_config_password=p1',
    ]);
    const p = { ...plan(['--db=x']), tls: { serverKey: key, serverCert: 'c' } };
    const secrets = collectSecrets(flags, p, {
      NEO4J_PASSWD: 'env-pw',
      PGPASSWORD: 'pg-env',
      MY_API_TOKEN: 'tok',
      DATABASE_URL: 'postgres://a:url-pw@h/db',
      HOME: '/root',
    });
    for (const s of ['n1', 'uri-pw', 'p1', 'env-pw', 'pg-env', 'tok', 'url-pw', key, 'A'.repeat(64), 'B'.repeat(30)])
      assert.ok(secrets.includes(s), s);
    assert.ok(!secrets.includes('/root'));
    assert.equal(uriPassword('bolt://neo4j:s%40cret@host'), 's@cret');
    assert.equal(uriPassword('bolt://host:7687'), undefined);
    assert.equal(redactUri('bolt://neo4j:secret@host:7687/db'), 'bolt://neo4j:[REDACTED]@host:7687/db');
  });

  test('a logged secret never reaches the stream: message, fields, errors, nested', () => {
    const { log, lines } = capture(['Hunter2-secret']);
    log.info('connecting with Hunter2-secret');
    log.warn({ error: new Error('auth failed for Hunter2-secret').stack }, 'x');
    log.info({ config: { backend: { password: 'not-listed-but-named-password' } } }, 'y');
    log.info({ password: 'top-level' }, 'z');
    const text = lines.join('\n');
    assert.ok(!text.includes('Hunter2-secret'));
    assert.ok(!text.includes('not-listed-but-named-password'));
    assert.ok(!text.includes('top-level'));
    assert.equal(lines.length, 4);
    for (const l of lines) assert.equal(typeof JSON.parse(l).level, 'string');
  });
});

describe('flags and plan', () => {
  test('--metrics_port is off by default, -1 is off, and it must not collide with another listener', () => {
    assert.equal(plan([]).metricsPort, undefined);
    assert.equal(plan(['--metrics_port=-1']).metricsPort, undefined);
    assert.equal(plan(['--metrics_port=9100']).metricsPort, 9100);
    assert.equal(plan(['--metrics_port=0']).metricsPort, 0);
    assert.throws(() => plan(['--metrics_port=8080']), ConfigError);
    assert.throws(() => plan(['--metrics_port=8081']), ConfigError);
    assert.throws(() => plan(['--metrics_port=70000']), ConfigError);
  });

  test('--log_level and --access_log', () => {
    assert.equal(plan([]).logLevel, 'info');
    assert.equal(plan(['--log_level=debug']).logLevel, 'debug');
    assert.throws(() => plan(['--log_level=verbose']), UsageError);
    assert.equal(plan([]).accessLog, false);
    assert.equal(plan(['--access_log']).accessLog, true);
    assert.equal(parseFlags(['--version']).version, true);
  });

  test('the start-up summary states the configuration and never a password', () => {
    const p = plan([
      '--metadata_source_config_type=postgresql',
      '--postgres_config_host=db',
      '--postgres_config_port=5432',
      '--postgres_config_user=u',
      '--postgres_config_password=very-secret',
      '--postgres_config_dbname=mlmd',
    ]);
    const summary = startupSummary(p, { grpcPort: 8080, httpPort: 8081, metricsPort: 9100 }, {
      uri: 'bolt://n:uri-secret@g:7687',
      password: 'graph-secret',
    } as never);
    const text = JSON.stringify(summary);
    for (const s of ['very-secret', 'uri-secret', 'graph-secret']) assert.ok(!text.includes(s), s);
    assert.deepEqual(summary.backend, {
      kind: 'postgresql',
      host: 'db',
      port: '5432',
      dbname: 'mlmd',
      user: 'u',
      password: '[REDACTED]',
    });
    assert.deepEqual(summary.metrics, { host: '0.0.0.0', port: 9100, path: '/metrics' });
    assert.deepEqual(summary.grpc, { host: '0.0.0.0', port: 8080, tls: 'plaintext' });
  });

  test('MySQL (the flags Kubeflow passes): the summary names the server, never the password, which is a secret', () => {
    const argv = [
      '--mysql_config_host=mysql',
      '--mysql_config_port=3306',
      '--mysql_config_database=metadb',
      '--mysql_config_user=root',
      '--mysql_config_password=my-secret',
    ];
    const p = plan(argv);
    const summary = startupSummary(p, { grpcPort: 8080 }, undefined);
    assert.ok(!JSON.stringify(summary).includes('my-secret'));
    assert.deepEqual(summary.backend, {
      kind: 'mysql',
      host: 'mysql',
      port: 3306,
      database: 'metadb',
      user: 'root',
      password: '[REDACTED]',
    });
    assert.ok(collectSecrets(parseFlags(argv), p, {}).includes('my-secret'));
    // An empty password (Kubeflow's default) is no secret to scrub, and is not stated as set.
    const empty = plan([...argv.slice(0, 4), '--mysql_config_password=']);
    assert.equal(
      (startupSummary(empty, { grpcPort: 8080 }, undefined).backend as { password?: string }).password,
      undefined,
    );
  });
});

describe('stop signals', () => {
  /** Signals arrive asynchronously: poll (a timer also keeps the event loop alive meanwhile). */
  const until = (cond: () => boolean) => waitFor('the signal to be handled', cond, 5_000, 5);

  test('the same signal twice in a moment is one request; another signal exits at once', async () => {
    const { log } = capture();
    const exits: number[] = [];
    const watch = watchForStop({ log, env: {}, exitNow: (c) => exits.push(c) });
    try {
      let reason: string | undefined;
      void watch.requested.then((r) => (reason = r));
      process.kill(process.pid, 'SIGTERM');
      process.kill(process.pid, 'SIGTERM');
      await until(() => reason !== undefined);
      assert.equal(reason, 'SIGTERM');
      process.kill(process.pid, 'SIGINT');
      await until(() => exits.length > 0);
      // The duplicate SIGTERM (delivered before the SIGINT) did not count as a second signal.
      assert.deepEqual(exits, [130]);
    } finally {
      watch.dispose();
    }
  });

  test('outside the duplicate window the same signal again exits at once', async () => {
    const { log } = capture();
    const exits: number[] = [];
    const watch = watchForStop({ log, env: {}, exitNow: (c) => exits.push(c), duplicateWindowMs: 0 });
    try {
      let requested = false;
      void watch.requested.then(() => (requested = true));
      process.kill(process.pid, 'SIGTERM');
      await until(() => requested);
      process.kill(process.pid, 'SIGTERM');
      await until(() => exits.length > 0);
      assert.deepEqual(exits, [143]);
    } finally {
      watch.dispose();
    }
  });
});

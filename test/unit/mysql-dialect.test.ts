/**
 * The MySQL backend's pure parts: the wire bytes of strings, TLS options from ssl_options, the adapter's SQL and the
 * v10 DDL. (Everything that talks to a server runs in the MySQL suites: MLMD_TEST_BACKEND=mysql and test/compat.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import { MysqlAdapter } from '../../src/storage/mysql/adapter';
import { fromWire, toWire } from '../../src/storage/mysql/charset';
import { connectionOptions, tlsOptions } from '../../src/storage/mysql/config';
import { mysqlCreateIndex, mysqlCreateTable, MYSQL_ALTER } from '../../src/storage/mysql/ddl';
import { TABLES, UPSTREAM_INDEXES } from '../../src/storage/schema';

describe('MySQL dialect', () => {
  test('strings go out as their UTF-8 bytes, one latin1 character each, and come back unchanged', () => {
    for (const s of ['plain ascii', 'café', 'ünïcødé ✓ ☃', 'emoji 😀 and \u0000 and \u0080\u009f', '\\ \' "']) {
      const wire = toWire(s);
      assert.equal(Buffer.from(wire, 'latin1').toString('utf8'), s, 'the latin1 text holds the UTF-8 bytes');
      assert.equal(fromWire(wire), s);
    }
    assert.equal(toWire('é'), '\u00c3\u00a9', 'é is C3 A9, as ml-metadata sends it');
  });

  test('connection options: a socket instead of host and port, latin1, big numbers as strings', () => {
    const tcp = connectionOptions({ host: 'db', port: 3307n, database: 'metadb', user: 'root', password: '' });
    assert.equal(tcp.host, 'db');
    assert.equal(tcp.port, 3307);
    assert.equal(tcp.password, undefined, 'an empty password is no password');
    assert.equal(tcp.charset, 'LATIN1_SWEDISH_CI');
    assert.equal(tcp.supportBigNumbers && tcp.bigNumberStrings, true);
    const unix = connectionOptions({ socket: '/run/mysqld.sock', database: 'm' });
    assert.equal(unix.socketPath, '/run/mysqld.sock');
    assert.equal(unix.host, undefined);
    assert.equal(connectionOptions({ host: 'db', database: 'm' }, '').database, undefined, 'server-level work');
  });

  test('ssl_options: any of them turns TLS on; the server is verified only with verify_server_cert', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mysql-tls-'));
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'CA');
    fs.mkdirSync(path.join(dir, 'cas'));
    fs.writeFileSync(path.join(dir, 'cas', 'a.pem'), 'A');
    fs.writeFileSync(path.join(dir, 'cas', 'b.pem'), 'B');
    assert.equal(tlsOptions({ host: 'db' }), undefined);
    const tls = tlsOptions({
      host: 'db',
      sslOptions: { ca: path.join(dir, 'ca.pem'), capath: path.join(dir, 'cas'), cipher: 'AES256-SHA' },
    })!;
    assert.deepEqual([...(tls.ca as string[])].sort(), ['A', 'B', 'CA']);
    assert.equal(tls.ciphers, 'AES256-SHA');
    assert.equal(tls.rejectUnauthorized, false);
    assert.equal(tlsOptions({ host: 'db', sslOptions: { verifyServerCert: true } })!.rejectUnauthorized, true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the adapter: JSON_TABLE lists, the columns collation once known, upserts, lock names', async () => {
    const a = new MysqlAdapter('metadb');
    const ids = a.idSet([1n, 2n, 3n]);
    assert.equal(ids.param, '[1,2,3]');
    assert.match(ids.sql, /JSON_TABLE\(\?, '\$\[\*\]' COLUMNS \(v BIGINT PATH '\$'\)\)/);
    assert.match(a.textSet(['a']).sql, /v VARCHAR\(64\) PATH/);
    assert.match(a.textSet(['x'.repeat(300)]).sql, /v VARCHAR\(1024\) PATH/);
    assert.match(a.textSet(['é'.repeat(40)]).sql, /v VARCHAR\(255\) PATH/, 'lengths count UTF-8 bytes');
    assert.match(a.textSet(['x'.repeat(20_000)]).sql, /v LONGTEXT PATH/);
    const catalog = {
      all: async (sql: string) => (/DATA_TYPE/.test(sql) ? [{ t: 'int' }, { t: 'int' }, { t: 'int' }] : []),
      get: async () => ({ cs: 'utf8mb4', co: 'utf8mb4_0900_ai_ci' }),
    };
    await a.inspectSchema(catalog as never);
    assert.equal(a.intValueBits, 32, 'an upstream-created database: int_value INT');
    assert.match(a.textSet(['a']).sql, /VARCHAR\(64\) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci PATH/);
    assert.equal(
      a.onConflictUpdate(['k'], ['a', 'b'], 'c = NULL'),
      'ON DUPLICATE KEY UPDATE a = VALUES(a), b = VALUES(b), c = NULL',
    );
    assert.equal(a.onConflictIgnore(['context_id', 'artifact_id']), 'ON DUPLICATE KEY UPDATE context_id = context_id');
    const name = a.lockName(`type:1:${'x'.repeat(1000)}`);
    assert.ok(name.length <= 64, 'GET_LOCK names are at most 64 characters');
    assert.notEqual(name, new MysqlAdapter('other').lockName(`type:1:${'x'.repeat(1000)}`), 'per database');
    assert.equal(
      Buffer.from(a.decodeBytes(Buffer.from(a.encodeBytes(Buffer.from([0, 255, 1])) as string))).toString('hex'),
      '00ff01',
    );
  });

  test("v10 DDL: upstream's MySQL types, BIGINT int_value, EventPath's insertion order, prefix indexes", () => {
    const ddl = Object.fromEntries(TABLES.map((t) => [t.name, mysqlCreateTable(t)]));
    assert.match(ddl.Type, /`id` INT PRIMARY KEY AUTO_INCREMENT/);
    assert.match(ddl.Artifact, /CONSTRAINT UniqueArtifactTypeName UNIQUE\(`type_id`, `name`\)/);
    assert.match(ddl.Artifact, /`external_id` VARCHAR\(255\) UNIQUE/);
    assert.match(ddl.Artifact, /`create_time_since_epoch` BIGINT NOT NULL DEFAULT 0/);
    assert.match(ddl.ArtifactProperty, /`int_value` BIGINT, `double_value` DOUBLE, `string_value` MEDIUMTEXT/);
    assert.match(ddl.ArtifactProperty, /`byte_value` MEDIUMBLOB, `proto_value` MEDIUMBLOB, `bool_value` BOOLEAN/);
    assert.match(ddl.Event, /CONSTRAINT UniqueEvent UNIQUE/);
    assert.match(ddl.EventPath, /`step_order` BIGINT NOT NULL AUTO_INCREMENT UNIQUE/);
    const index = (n: string) => mysqlCreateIndex(UPSTREAM_INDEXES.find((i) => i.name === n)!);
    assert.equal(index('idx_artifact_uri'), 'CREATE INDEX `idx_artifact_uri` ON `Artifact` (`uri`(255))');
    assert.equal(
      index('idx_artifact_property_string'),
      'CREATE INDEX `idx_artifact_property_string` ON `ArtifactProperty` (`name`, `is_custom_property`, `string_value`(255))',
    );
    assert.equal(
      mysqlCreateIndex({ name: 'n', table: 'Artifact', columns: ['name'], collate: 'NOCASE' }),
      undefined,
      "NOCASE indexes serve SQLite's LIKE only",
    );
    assert.match(MYSQL_ALTER.deleteDuplicateEvents, /^DELETE e1 FROM Event e1 JOIN Event e2 ON .* e1\.id < e2\.id$/);
    assert.deepEqual(MYSQL_ALTER.stringValueAt('ArtifactProperty', 7), [
      'ALTER TABLE `ArtifactProperty` MODIFY COLUMN `string_value` MEDIUMTEXT',
    ]);
  });
});

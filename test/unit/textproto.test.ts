import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServerConfig } from '../../src/cli/config-file';
import { messageSchema } from '../../src/cli/proto-schema';
import { parseTextProto, TextProtoError } from '../../src/cli/textproto';
import { loadProtos, MLMD_SERVICE_PROTO } from '../../src/server/protos';
import { SqliteMetadataSourceConfig_ConnectionMode as Mode } from '../../generated/ml_metadata/proto/metadata_store';

const mlmdConfig = (text: string) => parseServerConfig(text).mlmd;

const pkg = loadProtos([MLMD_SERVICE_PROTO]);
const serverSchema = messageSchema(pkg, 'ml_metadata.MetadataStoreServerConfig');
const valueSchema = messageSchema(pkg, 'ml_metadata.Value');

test('nested messages with {} and <>, optional colon, enum names, comments and separators', () => {
  const c = mlmdConfig(`
    # a comment
    connection_config: {
      sqlite < filename_uri: "/data/mlmd" ; connection_mode: READWRITE_OPENCREATE >  # trailing
    },
    migration_options { enable_upgrade_migration: true }
  `);
  const cfg = c.connectionConfig?.config;
  assert.equal(cfg?.$case, 'sqlite');
  assert.equal(cfg.$case === 'sqlite' && cfg.value.filenameUri, '/data/mlmd');
  assert.equal(cfg.$case === 'sqlite' && cfg.value.connectionMode, Mode.READWRITE_OPENCREATE);
  assert.equal(c.migrationOptions?.enableUpgradeMigration, true);
});

test('string escapes: C escapes, octal, hex, unicode, single quotes and adjacent concatenation', () => {
  const c = mlmdConfig(
    `ssl_config { server_key: "-----BEGIN KEY-----\\nab\\tc\\"q\\" \\'" 'x\\101\\x42\\0\\u00e9' "\\\\" }`,
  );
  assert.equal(c.sslConfig?.serverKey, '-----BEGIN KEY-----\nab\tc"q" \'xAB\0é\\');
});

test('integers: negative, hex and octal; int64 becomes bigint', () => {
  assert.equal(
    parseServerConfig('migration_options { downgrade_to_schema_version: -1 }').mlmd.migrationOptions
      ?.downgradeToSchemaVersion,
    -1n,
  );
  assert.equal(
    parseServerConfig('migration_options { downgrade_to_schema_version: 0x10 }').mlmd.migrationOptions
      ?.downgradeToSchemaVersion,
    16n,
  );
  assert.equal(
    parseServerConfig('migration_options { downgrade_to_schema_version: 010 }').mlmd.migrationOptions
      ?.downgradeToSchemaVersion,
    8n,
  );
  assert.deepEqual(parseTextProto('int_value: 9223372036854775807', valueSchema), { int_value: '9223372036854775807' });
});

test('bools, doubles and enum numbers', () => {
  assert.deepEqual(parseTextProto('bool_value: t', valueSchema), { bool_value: true });
  assert.deepEqual(parseTextProto('double_value: -1.5e3', valueSchema), { double_value: -1500 });
  assert.deepEqual(parseTextProto('double_value: inf', valueSchema), { double_value: Infinity });
  const c = mlmdConfig('connection_config { sqlite { connection_mode: 1 } }').connectionConfig?.config;
  assert.equal(c?.$case === 'sqlite' && c.value.connectionMode, Mode.READONLY);
});

test('empty input is an empty message', () => {
  assert.deepEqual(parseTextProto('  # nothing\n', serverSchema), {});
});

function rejects(text: string, pattern: RegExp, line?: number): void {
  assert.throws(
    () => parseTextProto(text, serverSchema),
    (e: unknown) => e instanceof TextProtoError && pattern.test(e.message) && (line === undefined || e.line === line),
  );
}

test('errors name the field and the line', () => {
  rejects(
    'connection_config {\n  sqlite {\n    filename: "x"\n  }\n}',
    /unknown field "filename" in ml_metadata.SqliteMetadataSourceConfig/,
    3,
  );
  rejects('connection_config { sqlite { connection_mode: READ_EVERYTHING } }', /unknown value "READ_EVERYTHING"/, 1);
  rejects('ssl_config { client_verify: maybe }', /invalid value maybe for bool/);
  rejects('ssl_config { server_key: "abc }', /unterminated string/);
  rejects('ssl_config { server_key: "\\q" }', /unknown escape/);
  rejects('ssl_config { server_key: 12 }', /needs a quoted string/);
  rejects('ssl_config { client_verify: true', /input ended/);
  rejects('ssl_config { } ssl_config { }', /set more than once/);
  rejects('migration_options { downgrade_to_schema_version: 99999999999999999999 }', /out of range/);
  rejects('connection_config sqlite { }', /expected "\{" or "<"/);
  rejects('\n\nmigration_options { enable_upgrade_migration true }', /expected ":"/, 3);
});

test('a oneof set twice is rejected', () => {
  assert.throws(() => parseServerConfig('connection_config { sqlite {} fake_database {} }'), /oneof/);
});

/**
 * The PostgreSQL dialect's pure parts: placeholder rewriting, libpq password files, sslmode mapping and the v10 DDL.
 * (Everything that talks to a server runs in the PostgreSQL suites: MLMD_TEST_BACKEND=postgres and test/multi-server.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';

import { TABLES, UPSTREAM_INDEXES } from '../../src/storage/schema';
import { passwordFromPassfile, sslOptions } from '../../src/storage/postgres/config';
import { pgCreateIndex, pgCreateTable } from '../../src/storage/postgres/ddl';
import { toPgPlaceholders } from '../../src/storage/postgres/driver';

describe('PostgreSQL dialect', () => {
  test('? placeholders become $n outside quoted text, quoted identifiers and comments', () => {
    assert.equal(
      toPgPlaceholders('SELECT id FROM Type WHERE name = ? AND kind = ?'),
      'SELECT id FROM Type WHERE name = $1 AND kind = $2',
    );
    assert.equal(
      toPgPlaceholders("SELECT '?', 'it''s ?', \"a?\" FROM t WHERE x = ? -- why?\nAND y = ?"),
      "SELECT '?', 'it''s ?', \"a?\" FROM t WHERE x = $1 -- why?\nAND y = $2",
    );
    assert.equal(
      toPgPlaceholders('SELECT json_array_elements_text(?::json)::bigint'),
      'SELECT json_array_elements_text($1::json)::bigint',
    );
  });

  test('passfile lines match host, port, database and user (with * and escapes)', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pgpass-')), 'pgpass');
    fs.writeFileSync(file, '# comment\nother:5432:mlmd:u:nope\ndb\\:host:*:mlmd:u:p\\:w\n*:*:*:admin:secret\n');
    assert.equal(passwordFromPassfile(file, 'db:host', '5433', 'mlmd', 'u'), 'p:w');
    assert.equal(passwordFromPassfile(file, 'x', '1', 'y', 'admin'), 'secret');
    assert.equal(passwordFromPassfile(file, 'x', '1', 'y', 'z'), undefined);
    assert.equal(passwordFromPassfile(path.join(file, 'missing'), 'x', '1', 'y', 'z'), undefined);
  });

  test('sslmode: disable/allow/prefer are plaintext; require skips verification; verify-full checks the name', () => {
    assert.equal(sslOptions({}), false);
    assert.equal(sslOptions({ ssloption: { sslmode: 'prefer' } }), false);
    assert.deepEqual(sslOptions({ ssloption: { sslmode: 'require' } }), {
      ca: undefined,
      cert: undefined,
      key: undefined,
      passphrase: undefined,
      rejectUnauthorized: false,
    });
    const full = sslOptions({ ssloption: { sslmode: 'verify-full' } });
    assert.ok(full && full.rejectUnauthorized === true && full.checkServerIdentity === undefined);
    assert.throws(() => sslOptions({ ssloption: { sslmode: 'sometimes' } }), /Unknown PostgreSQL sslmode/);
  });

  test('v10 DDL: lower-case-folding names, SERIAL ids, upstream types, named unique constraints, BIGINT int_value', () => {
    const ddl = Object.fromEntries(TABLES.map((t) => [t.name, pgCreateTable(t)]));
    assert.match(
      ddl.Artifact,
      /^CREATE TABLE IF NOT EXISTS Artifact \(id SERIAL PRIMARY KEY, type_id INT NOT NULL, uri TEXT, state INT, /,
    );
    assert.match(ddl.Artifact, /create_time_since_epoch BIGINT NOT NULL DEFAULT 0/);
    assert.match(ddl.Artifact, /CONSTRAINT UniqueArtifactTypeName UNIQUE\(type_id, name\)/);
    assert.match(ddl.Event, /CONSTRAINT UniqueEvent UNIQUE\(artifact_id, execution_id, type\)/);
    assert.match(ddl.Context, /, UNIQUE\(type_id, name\)\)$/);
    assert.match(ddl.Type, /type_kind SMALLINT NOT NULL/);
    assert.match(
      ddl.ArtifactProperty,
      /is_custom_property BOOLEAN NOT NULL, int_value BIGINT, double_value DOUBLE PRECISION, string_value TEXT, byte_value BYTEA, proto_value BYTEA, bool_value BOOLEAN/,
    );
    assert.match(
      ddl.EventPath,
      /is_index_step BOOLEAN NOT NULL, step_index INT, step_key TEXT, step_order BIGSERIAL NOT NULL/,
    );
    assert.match(ddl.MLMDEnv, /schema_version INT PRIMARY KEY/);
    const indexes = UPSTREAM_INDEXES.map(pgCreateIndex);
    assert.equal(indexes.length, 24);
    assert.ok(
      indexes.includes(
        'CREATE INDEX IF NOT EXISTS idx_artifact_property_int ON ArtifactProperty (name, is_custom_property, int_value)',
      ),
    );
    assert.ok(
      indexes.includes(
        'CREATE INDEX IF NOT EXISTS idx_artifact_property_string ON ArtifactProperty USING hash (string_value)',
      ),
    );
  });
});

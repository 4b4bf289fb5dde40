import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServerPlan, ConfigError, DEFAULT_SQLITE_FILE } from '../../src/cli/config';
import { parseChannelArguments, parseFlags, UsageError } from '../../src/cli/flags';

test('gflags syntax: =value, separate value, bare bool, --nobool, single dash', () => {
  assert.deepEqual(parseFlags(['--grpc_port=9090', '--db', 'x.db', '--enable_database_upgrade', '-host=::1']), {
    grpc_port: 9090,
    db: 'x.db',
    enable_database_upgrade: true,
    host: '::1',
  });
  assert.deepEqual(parseFlags(['--noenable_database_upgrade']), { enable_database_upgrade: false });
  assert.deepEqual(parseFlags(['--enable_database_upgrade=false']), { enable_database_upgrade: false });
  assert.deepEqual(parseFlags(['--metadata_store_server_config_file=']), { metadata_store_server_config_file: '' });
});

test('flag mistakes are usage errors', () => {
  assert.throws(
    () => parseFlags(['--bogus=1']),
    (e: unknown) => e instanceof UsageError && /unknown flag --bogus/.test(e.message),
  );
  assert.throws(() => parseFlags(['--grpc_port=abc']), UsageError);
  assert.throws(() => parseFlags(['--grpc_port']), /needs a value/);
  assert.throws(() => parseFlags(['--enable_database_upgrade=maybe']), UsageError);
  assert.throws(() => parseFlags(['positional']), UsageError);
  assert.throws(() => parseFlags(['--nogrpc_port']), /unknown flag/);
});

test('channel arguments: integers become numbers, empty items skipped, missing = rejected', () => {
  assert.deepEqual(parseChannelArguments('grpc.max_connection_age_ms=2000,,grpc.max_receive_message_length=-1,x=abc'), {
    'grpc.max_connection_age_ms': 2000,
    'grpc.max_receive_message_length': -1,
    x: 'abc',
  });
  assert.throws(() => parseChannelArguments('grpc.keepalive_time_ms'), /not key=value/);
});

const noFile = (): string => {
  throw new Error('ENOENT');
};

test('no configuration serves the embedded SQLite file', () => {
  const plan = buildServerPlan({}, noFile);
  assert.deepEqual(plan.backend, { kind: 'sqlite', filenameUri: DEFAULT_SQLITE_FILE });
  assert.equal(plan.port, 8080);
  assert.equal(plan.host, '0.0.0.0');
  assert.deepEqual(plan.migration, { enableUpgradeMigration: false, downgradeToSchemaVersion: -1 });
  // The Docker entrypoint passes an empty config path: same as none.
  assert.equal(buildServerPlan({ metadata_store_server_config_file: '' }, noFile).backend.kind, 'sqlite');
});

test('config file: sqlite modes, fake_database, migration options and ssl come from the file', () => {
  const files: Record<string, string> = {
    ro: 'connection_config { sqlite { filename_uri: "/d/m" connection_mode: READONLY } }',
    rw: 'connection_config { sqlite { filename_uri: "/d/m" connection_mode: READWRITE } }',
    fake: 'connection_config { fake_database {} } migration_options { downgrade_to_schema_version: 7 }',
    tls: 'connection_config { sqlite { } } ssl_config { server_key: "k" client_verify: true }',
  };
  const read = (p: string): string => files[p];
  const plan = (p: string) =>
    buildServerPlan({ metadata_store_server_config_file: p, enable_database_upgrade: true }, read);
  assert.deepEqual(plan('ro').backend, { kind: 'sqlite', filenameUri: '/d/m', readonly: true, mustExist: true });
  assert.deepEqual(plan('rw').backend, { kind: 'sqlite', filenameUri: '/d/m', mustExist: true });
  assert.deepEqual(plan('fake').backend, { kind: 'sqlite', filenameUri: ':memory:' });
  assert.equal(plan('fake').migration.downgradeToSchemaVersion, 7);
  assert.equal(plan('fake').migration.enableUpgradeMigration, false, 'migration flags do not apply with a config file');
  assert.match(plan('fake').warnings.join(), /migration flags are ignored/);
  assert.deepEqual(plan('tls').backend, { kind: 'sqlite', filenameUri: ':memory:' });
  assert.equal(plan('tls').tls?.clientVerify, true);
});

test('configuration errors', () => {
  const err = (flags: Parameters<typeof buildServerPlan>[0], re: RegExp) =>
    assert.throws(
      () => buildServerPlan(flags, noFile),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
    );
  err({ grpc_port: 0 }, /--grpc_port/);
  err({ grpc_port: -5 }, /--grpc_port/);
  // Incomplete MySQL flags name what is missing (upstream: a CHECK failure, i.e. a crash).
  err({ mysql_config_host: 'db' }, /--mysql_config_port and --mysql_config_database must be given/);
  err({ metadata_source_config_type: 'mysql' }, /exactly one of --mysql_config_host and --mysql_config_socket/);
  err({ mysql_config_host: 'h', mysql_config_socket: '/s', mysql_config_database: 'd' }, /exactly one of/);
  // Flags of a database that would not be used refuse to start (they used to serve ./mlmd.db).
  err({ mysql_config_user: 'root' }, /--mysql_config_user given without --mysql_config_host/);
  err(
    { postgres_config_host: 'pg', postgres_config_dbname: 'm' },
    /--postgres_config_host, --postgres_config_dbname given without --metadata_source_config_type=postgresql/,
  );
  err(
    { mysql_config_host: 'h', mysql_config_port: 3306, mysql_config_database: 'd', postgres_config_host: 'p' },
    /keep one backend/,
  );
  err({ db: 'x.db', postgres_config_host: 'p' }, /--db \(SQLite\) cannot be combined/);
  err({ enable_database_upgrade: true, downgrade_db_schema_version: 3 }, /cannot be used together/);
  err({ metadata_source_config_type: 'config_file' }, /needs --metadata_store_server_config_file/);
  err({ metadata_store_server_config_file: '/nope' }, /cannot read config file/);
  err({ db: 'x', metadata_store_server_config_file: '/c' }, /--db cannot be combined/);
  err({ metadata_source_config_type: 'postgresql', postgres_config_host: 'h' }, /postgres_config_port is required/);
  err(
    { metadata_source_config_type: 'postgresql', postgres_config_host: 'h', postgres_config_hostaddr: '1.2.3.4' },
    /exactly one/,
  );
  assert.throws(() => buildServerPlan({ metadata_source_config_type: 'oracle' }), UsageError);
  assert.throws(
    () => buildServerPlan({ metadata_store_server_config_file: 'c' }, () => 'connection_config { sqlit {} }'),
    /cannot parse config file c: line 1, column 21: unknown field "sqlit"/,
  );
});

test("Kubeflow's metadata-grpc-deployment command line serves MySQL, with an empty password and upgrade on", () => {
  const flags = parseFlags([
    '--grpc_port=8080',
    '--mysql_config_database=metadb',
    '--mysql_config_host=mysql',
    '--mysql_config_port=3306',
    '--mysql_config_user=root',
    '--mysql_config_password=',
    '--enable_database_upgrade=true',
    '--grpc_channel_arguments=grpc.max_metadata_size=16384,grpc.max_receive_message_length=104857600',
  ]);
  const plan = buildServerPlan(flags, noFile);
  assert.deepEqual(plan.backend, {
    kind: 'mysql',
    config: {
      host: 'mysql',
      port: 3306n,
      socket: undefined,
      database: 'metadb',
      user: 'root',
      password: '',
      skipDbCreation: undefined,
      sslOptions: undefined,
    },
  });
  assert.equal(plan.migration.enableUpgradeMigration, true);
  assert.deepEqual(plan.channelOptions, {
    'grpc.max_metadata_size': 16384,
    'grpc.max_receive_message_length': 104857600,
  });
  assert.deepEqual(plan.warnings, []);
});

test('mysql: a socket instead of host and port, ssl options, skip_db_creation; the config file form', () => {
  const plan = buildServerPlan({
    metadata_source_config_type: 'mysql',
    mysql_config_socket: '/run/mysqld.sock',
    mysql_config_database: 'm',
    mysql_config_skip_db_creation: true,
    mysql_config_ssl_ca: '/ca.pem',
    mysql_config_ssl_verify_server_cert: true,
  });
  assert.equal(plan.backend.kind, 'mysql');
  const c = plan.backend.kind === 'mysql' ? plan.backend.config : undefined;
  assert.equal(c?.socket, '/run/mysqld.sock');
  assert.equal(c?.skipDbCreation, true);
  assert.equal(c?.sslOptions?.ca, '/ca.pem');
  assert.equal(c?.sslOptions?.verifyServerCert, true);
  const fromFile = buildServerPlan(
    { metadata_store_server_config_file: 'c' },
    () =>
      'connection_config { mysql { host: "db" port: 3306 database: "metadb" user: "root" ' +
      'ssl_options { cert: "/c.pem" key: "/k.pem" } skip_db_creation: true } }',
  );
  assert.equal(fromFile.backend.kind, 'mysql');
  const f = fromFile.backend.kind === 'mysql' ? fromFile.backend.config : undefined;
  assert.equal(f?.port, 3306n);
  assert.equal(f?.sslOptions?.cert, '/c.pem');
  assert.equal(f?.skipDbCreation, true);
  assert.throws(
    () =>
      buildServerPlan({ metadata_store_server_config_file: 'c' }, () => 'connection_config { mysql { host: "db" } }'),
    /connection_config.mysql.database is required/,
  );
});

test('postgresql flags are kept in the plan', () => {
  const plan = buildServerPlan({
    metadata_source_config_type: 'postgresql',
    postgres_config_host: 'pg',
    postgres_config_port: '5432',
    postgres_config_user: 'u',
    postgres_config_dbname: 'mlmd',
    postgres_config_sslmode: 'require',
    enable_database_upgrade: true,
  });
  assert.equal(plan.backend.kind, 'postgresql');
  assert.equal(plan.backend.kind === 'postgresql' && plan.backend.config.ssloption?.sslmode, 'require');
  assert.equal(plan.migration.enableUpgradeMigration, true);
});

test('--http_port: 8081 by default, -1 turns the listener off, 0 picks a free port, never the gRPC port', () => {
  assert.equal(buildServerPlan({}).httpPort, 8081);
  assert.equal(buildServerPlan({ http_port: -1 }).httpPort, undefined);
  assert.equal(buildServerPlan({ http_port: 0 }).httpPort, 0);
  assert.throws(() => buildServerPlan({ http_port: 8080 }), /--http_port and --grpc_port must differ/);
  assert.throws(() => buildServerPlan({ http_port: 70000 }), /--http_port must be between/);
});

test('tenants: --tenants and the config file together, default first; off without any', () => {
  assert.equal(buildServerPlan({}, noFile).tenants, undefined);
  const fromFlags = buildServerPlan({ db: '/data/mlmd.db', tenants: 'team-a, team-b' }, noFile).tenants;
  assert.deepEqual(fromFlags, { names: ['default', 'team-a', 'team-b'], sqliteDir: '/data/tenants', maxOpen: 16 });
  const file =
    'connection_config { sqlite { filename_uri: "/d/m.db" } }\ntenants { name: ["x", "y"] sqlite_dir: "/t" max_open: 3 }';
  const fromFile = buildServerPlan({ metadata_store_server_config_file: 'c', tenants: 'z' }, () => file).tenants;
  assert.deepEqual(fromFile, { names: ['default', 'z', 'x', 'y'], sqliteDir: '/t', maxOpen: 3 });
  const err = (flags: Parameters<typeof buildServerPlan>[0], re: RegExp, read = noFile) =>
    assert.throws(
      () => buildServerPlan(flags, read),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
    );
  err({ tenants: 'Team_A' }, /tenant "Team_A": a tenant name has lower-case letters/);
  err({ tenants: '../x' }, /tenant "..\/x"/);
  err({ tenants_dir: '/t' }, /--tenants_dir needs tenants/);
  err({ tenants: 'a', max_open_tenants: 0 }, /--max_open_tenants must be at least 1/);
  err(
    { metadata_store_server_config_file: 'c', tenants: 'a' },
    /in-memory/,
    () => 'connection_config { fake_database {} }',
  );
  assert.throws(
    () => buildServerPlan({ metadata_store_server_config_file: 'c' }, () => 'tenants { nmae: "a" }'),
    /nmae/,
  );
});

/**
 * Tenants, end to end on the test backend (MLMD_TEST_BACKEND): the real server process with two declared tenants
 * beside `default`. Each tenant gets the same random operations (one seed: same calls, same ids) with data of its own
 * (every string carries the tenant's marker); then every answer of every tenant, over gRPC (metadata), gRPC-Web
 * (path prefix and header) and the cmf-server REST API under /t/<tenant>/, must carry its own marker and never
 * another's: listings, pages, filters, ids, lineage, pushes and pulls. Each tenant's store is then opened by the
 * `ml-metadata` Python package on its own and holds its records only. Unknown and malformed tenants are refused and
 * create nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Event_Type, PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import { GetArtifactsRequest, GetArtifactsResponse } from '../../generated/ml_metadata/proto/metadata_store_service';
import * as grpc from '@grpc/grpc-js';
import { createApiToken } from '../../src/access/api-tokens';
import { MlmdClient } from '../../src/client';
import { TENANT_METADATA_KEY } from '../../src/client/unary-client';
import { TENANT_HEADER } from '../../src/server/tenant-request';
import { tenantDatabaseName } from '../../src/storage/tenants';
import {
  dropMysqlDatabase,
  dropPgDatabase,
  mysqlTestConfig,
  pgTestConfig,
  TEST_BACKEND,
  uniqueDbName,
} from '../helpers/backend';
import { pipelineDocument } from '../helpers/cmf-interchange';
import { CONTENT_TYPE, frame, grpcWebPost } from '../helpers/grpc-web';
import { expectStatus, status, stringValue } from '../helpers/mlmd';
import { freePort } from '../helpers/net';
import { launch, ROOT, type Launched } from '../helpers/processes';
import { mulberry32 } from '../helpers/random';

const TENANTS = ['team-a', 'team-b'] as const;
/** The marker in every string a tenant's workload writes ('default' writes its own too). */
const MARKER: Record<string, string> = { default: 'zdefz', 'team-a': 'zalphaz', 'team-b': 'zbravoz' };
const ALL = ['default', ...TENANTS];
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

/** The answer carries `tenant`'s marker (when `mustHaveOwn`) and no other tenant's. */
function assertOwn(tenant: string, answer: unknown, what: string, mustHaveOwn = true): void {
  const text = typeof answer === 'string' ? answer : json(answer);
  for (const [other, marker] of Object.entries(MARKER)) {
    if (other !== tenant)
      assert.ok(!text.includes(marker), `${what} of ${tenant} shows ${other}'s data: ${text.slice(0, 300)}`);
  }
  if (mustHaveOwn)
    assert.ok(text.includes(MARKER[tenant]), `${what} of ${tenant} lacks its own data: ${text.slice(0, 300)}`);
}

/** The same random operations for every tenant; every string written carries the tenant's marker. */
async function workload(client: MlmdClient, tenant: string, seed: number): Promise<void> {
  const m = MARKER[tenant];
  // The same seed gives every tenant the same sequence of operations.
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const S = PropertyType.STRING;
  const artifactTypes: bigint[] = [];
  const executionTypes: bigint[] = [];
  for (let i = 0; i < 3; i++) {
    artifactTypes.push(
      (await client.putArtifactType({ artifactType: { name: `Data${i}_${m}`, properties: { note: S } } })).typeId!,
    );
    executionTypes.push(
      (await client.putExecutionType({ executionType: { name: `Step${i}_${m}`, properties: { note: S } } })).typeId!,
    );
  }
  const contextType = (await client.putContextType({ contextType: { name: `Run_${m}`, properties: {} } })).typeId!;
  const artifacts: bigint[] = [];
  for (let step = 0; step < 30; step++) {
    const kind = rnd();
    if (kind < 0.4 || artifacts.length < 2) {
      const { artifactIds } = await client.putArtifacts({
        artifacts: [
          {
            typeId: pick(artifactTypes),
            uri: `s3://${m}/a${step}`,
            name: `${m}-a${step}`,
            properties: { note: stringValue(`${m} ${Math.floor(rnd() * 1e6)}`) },
          },
        ],
      });
      artifacts.push(artifactIds[0]);
    } else {
      // An execution reading one artifact and writing a new one, in a context: lineage, events, links.
      const input = pick(artifacts);
      const r = await client.putExecution({
        execution: { typeId: pick(executionTypes), name: `${m}-e${step}`, customProperties: { by: stringValue(m) } },
        artifactEventPairs: [
          { artifact: { id: input }, event: { type: Event_Type.INPUT } },
          {
            artifact: { typeId: pick(artifactTypes), uri: `s3://${m}/out${step}`, name: `${m}-o${step}` },
            event: { type: Event_Type.OUTPUT },
          },
        ],
        contexts: [{ typeId: contextType, name: `${m}-run${Math.floor(rnd() * 4)}` }],
        options: { reuseContextIfAlreadyExist: true },
      });
      artifacts.push(r.artifactIds[1]);
    }
  }
}

/** Every read a tenant's data shows in (ids are the same in every tenant: same operations). */
async function answers(client: MlmdClient, tenant: string): Promise<Array<[string, unknown]>> {
  const out: Array<[string, unknown]> = [];
  const add = (what: string, v: unknown) => out.push([what, v]);
  add('GetArtifactTypes', await client.getArtifactTypes({}));
  add('GetExecutionTypes', await client.getExecutionTypes({}));
  add('GetContextTypes', await client.getContextTypes({}));
  // Every page of a paged listing.
  let token: string | undefined;
  do {
    const page = await client.getArtifacts({ options: { maxResultSize: 7, nextPageToken: token } });
    add('GetArtifacts page', page.artifacts);
    token = page.nextPageToken || undefined;
  } while (token);
  add('GetExecutions', await client.getExecutions({}));
  add('GetContexts', await client.getContexts({}));
  const ids = Array.from({ length: 40 }, (_, i) => BigInt(i + 1));
  add('GetArtifactsByID', await client.getArtifactsById({ artifactIds: ids }));
  add('GetExecutionsByID', await client.getExecutionsById({ executionIds: ids }));
  add('GetContextsByID', await client.getContextsById({ contextIds: ids }));
  add(
    'GetArtifacts filter',
    await client.getArtifacts({ options: { filterQuery: `uri LIKE 's3://${MARKER[tenant]}/%'` } }),
  );
  add(
    'GetLineageSubgraph',
    await client.getLineageSubgraph({
      lineageSubgraphQueryOptions: {
        startingNodes: { $case: 'startingArtifacts', value: { filterQuery: 'id <= 40' } },
        maxNumHops: 10n,
      },
    }),
  );
  add(
    'GetLineageGraph',
    await client.getLineageGraph({
      options: {
        queryNodes: { $case: 'artifactsOptions', value: { filterQuery: 'id <= 40' } },
        stopConditions: { maxNumHops: 10n },
      },
    }),
  );
  add('GetContextsByExecution', await client.getContextsByExecution({ executionId: 1n }));
  return out;
}

interface Running {
  proc: Launched;
  grpc: string;
  http: string;
  dir: string;
  /** Connection of each tenant's store for the Python package. */
  stores: Record<string, unknown>;
  cleanup(): Promise<void>;
}

async function startServer(extra: readonly string[] = []): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenants-'));
  const grpcPort = await freePort();
  const common = [
    `--grpc_port=${grpcPort}`,
    '--http_port=0',
    '--host=127.0.0.1',
    `--tenants=${TENANTS.join(',')}`,
    `--cmf_data_dir=${path.join(dir, 'data')}`,
  ];
  let backend: string[];
  const stores: Record<string, unknown> = {};
  let drop = async (): Promise<void> => undefined;
  if (TEST_BACKEND === 'postgres') {
    const base = uniqueDbName('tenants');
    const c = pgTestConfig(base);
    backend = [
      '--metadata_source_config_type=postgresql',
      `--postgres_config_host=${c.host}`,
      `--postgres_config_port=${c.port}`,
      `--postgres_config_user=${c.user}`,
      `--postgres_config_password=${c.password}`,
      `--postgres_config_dbname=${base}`,
    ];
    for (const t of ALL) {
      const dbname = t === 'default' ? base : tenantDatabaseName(base, t);
      stores[t] = { postgresql: { ...c, dbname } };
    }
    drop = async () => {
      for (const t of ALL) await dropPgDatabase((stores[t] as { postgresql: { dbname: string } }).postgresql.dbname);
    };
  } else if (TEST_BACKEND === 'mysql') {
    const base = uniqueDbName('tenants');
    const c = mysqlTestConfig(base);
    backend = [
      `--mysql_config_host=${c.host}`,
      `--mysql_config_port=${c.port}`,
      `--mysql_config_user=${c.user}`,
      `--mysql_config_password=${c.password}`,
      `--mysql_config_database=${base}`,
    ];
    for (const t of ALL) {
      const database = t === 'default' ? base : tenantDatabaseName(base, t);
      stores[t] = { mysql: { host: c.host, port: Number(c.port), user: c.user, password: c.password, database } };
    }
    drop = async () => {
      for (const t of ALL) await dropMysqlDatabase((stores[t] as { mysql: { database: string } }).mysql.database);
    };
  } else {
    backend = [`--db=${path.join(dir, 'mlmd.db')}`, `--tenants_dir=${path.join(dir, 'tenants')}`];
    for (const t of ALL)
      stores[t] = { sqlite: t === 'default' ? path.join(dir, 'mlmd.db') : path.join(dir, 'tenants', `${t}.db`) };
  }
  const proc = launch(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...common, ...backend, ...extra]);
  const line = await proc.started(60_000);
  const config = line.config as { http: { port: number }; tenants: { names: string[] } };
  assert.deepEqual(config.tenants.names, ALL, 'the start-up line names the tenants');
  const httpPort = config.http.port;
  return {
    proc,
    grpc: `127.0.0.1:${grpcPort}`,
    http: `http://127.0.0.1:${httpPort}`,
    dir,
    stores,
    async cleanup() {
      proc.child.kill('SIGTERM');
      await proc.exited;
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe(`tenants (${TEST_BACKEND})`, () => {
  let s: Running;
  const clients: Record<string, MlmdClient> = {};
  before(async () => {
    s = await startServer();
    for (const t of ALL)
      clients[t] = new MlmdClient(s.grpc, { deadlineMs: 30_000, tenant: t === 'default' ? undefined : t });
  });
  after(async () => {
    for (const c of Object.values(clients)) c.close();
    await s?.cleanup();
  });

  test('the SDK and the server name the tenant with the same metadata key', () => {
    assert.equal(TENANT_METADATA_KEY, TENANT_HEADER);
  });

  test('the same random operations in each tenant: no answer of one ever shows another', async () => {
    for (const t of ALL) await workload(clients[t], t, 42);
    for (const t of ALL) {
      for (const [what, answer] of await answers(clients[t], t)) assertOwn(t, answer, what);
      // Another tenant's filter finds nothing here.
      for (const other of ALL.filter((o) => o !== t)) {
        const r = await clients[t].getArtifacts({ options: { filterQuery: `uri LIKE 's3://${MARKER[other]}/%'` } });
        assert.equal(r.artifacts.length, 0, `${other}'s filter in ${t}`);
      }
    }
  });

  test("a page token of one tenant, used in another, pages that other tenant's records only", async () => {
    const page = await clients['team-a'].getArtifacts({ options: { maxResultSize: 3 } });
    assert.ok(page.nextPageToken);
    const there = await clients['team-b'].getArtifacts({
      options: { maxResultSize: 3, nextPageToken: page.nextPageToken },
    });
    assertOwn('team-b', there.artifacts, 'GetArtifacts with a token of team-a', false);
  });

  test('gRPC-Web names the tenant by path prefix or header; both protocols agree', async () => {
    const body = frame(GetArtifactsRequest.encode({}).finish());
    for (const t of TENANTS) {
      const byPath = await grpcWebPost(s.http, `/t/${t}/ml_metadata.MetadataStoreService/GetArtifacts`, body);
      assert.equal(byPath.code, status.OK, byPath.details);
      const viaPath = GetArtifactsResponse.decode(byPath.message!);
      assertOwn(t, viaPath, 'gRPC-Web GetArtifacts');
      const byHeader = await grpcWebPost(s.http, '/ml_metadata.MetadataStoreService/GetArtifacts', body, {
        headers: { [TENANT_HEADER]: t },
      });
      assert.deepEqual(GetArtifactsResponse.decode(byHeader.message!), viaPath);
      const native = await clients[t].getArtifacts({});
      assert.equal(json(viaPath.artifacts), json(native.artifacts));
    }
    // No prefix and no header: the default tenant.
    const plain = await grpcWebPost(s.http, '/ml_metadata.MetadataStoreService/GetArtifacts', body);
    assertOwn('default', GetArtifactsResponse.decode(plain.message!), 'gRPC-Web GetArtifacts');
    // Prefix and header naming two tenants: refused.
    const both = await grpcWebPost(s.http, '/t/team-a/ml_metadata.MetadataStoreService/GetArtifacts', body, {
      headers: { [TENANT_HEADER]: 'team-b' },
    });
    assert.equal(both.code, status.INVALID_ARGUMENT);
    assert.match(both.details, /team-a.*team-b/);
    assert.ok(CONTENT_TYPE.binary);
  });

  test('the cmf-server API under /t/<tenant>/: pushes and pulls stay in their tenant', async () => {
    const post = (url: string, body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const t of TENANTS) {
      const doc = pipelineDocument({ pipeline: `pipe-${MARKER[t]}`, executions: 3 });
      // The `cmf` CLI's calls: bare paths under the URL it was given.
      const pushed = await post(`${s.http}/t/${t}/mlmd_push`, {
        pipeline_name: `pipe-${MARKER[t]}`,
        exec_uuid: null,
        json_payload: doc.json,
      });
      assert.equal(pushed.status, 200, await pushed.clone().text());
      assert.deepEqual(await pushed.json(), { status: 'success' });
    }
    for (const t of TENANTS) {
      const names = await (await fetch(`${s.http}/t/${t}/api/pipelines`)).json();
      assert.deepEqual(names, [`pipe-${MARKER[t]}`]);
      const other = TENANTS.find((o) => o !== t)!;
      const missing = await post(`${s.http}/t/${t}/api/mlmd_pull`, { pipeline_name: `pipe-${MARKER[other]}` });
      assert.equal(missing.status, 404);
      const own = await post(`${s.http}/t/${t}/mlmd_pull`, { pipeline_name: `pipe-${MARKER[t]}`, exec_uuid: null });
      assert.equal(own.status, 200);
      assertOwn(t, await own.text(), 'mlmd_pull');
      // A peer's pull of everything changed since 0 (what sync asks): this tenant's only.
      const all = await post(`${s.http}/t/${t}/api/mlmd_pull`, { last_sync_time: 0 });
      assertOwn(t, await all.text(), 'mlmd_pull since 0');
      // The header works for HTTP clients that can set one.
      const viaHeader = await fetch(`${s.http}/api/pipelines`, { headers: { [TENANT_HEADER]: t } });
      assert.deepEqual(await viaHeader.json(), [`pipe-${MARKER[t]}`]);
    }
    // The default tenant's cmf-server data directory and each tenant's are apart.
    const upload = new FormData();
    upload.append('file', new Blob(['numpy==1.0\n']), `python_env_${MARKER['team-a']}.txt`);
    const up = await fetch(`${s.http}/t/team-a/python-env`, { method: 'POST', body: upload });
    assert.equal(up.status, 200);
    assert.ok(
      fs.existsSync(path.join(s.dir, 'data', 'tenants', 'team-a', 'env', `python_env_${MARKER['team-a']}.txt`)),
    );
    const elsewhere = await fetch(`${s.http}/t/team-b/api/python-env?file_name=python_env_${MARKER['team-a']}.txt`);
    assert.equal(elsewhere.status, 404);
  });

  test('unknown and malformed tenants are refused on every protocol, and no store is created', async () => {
    const nobody = new MlmdClient(s.grpc, { deadlineMs: 10_000, tenant: 'nobody' });
    try {
      await expectStatus(nobody.getArtifacts({}), status.INVALID_ARGUMENT, /tenant nobody is not configured/);
      const traversal = new MlmdClient(s.grpc, { deadlineMs: 10_000, tenant: '../mlmd' });
      await expectStatus(traversal.getArtifacts({}), status.INVALID_ARGUMENT, /is not a tenant name/);
      traversal.close();
    } finally {
      nobody.close();
    }
    const body = frame(GetArtifactsRequest.encode({}).finish());
    for (const prefix of ['/t/nobody', '/t/Team_A', '/t/..%2Fx', '/t/']) {
      const r = await grpcWebPost(s.http, `${prefix}/ml_metadata.MetadataStoreService/GetArtifacts`, body);
      assert.equal(r.code, status.INVALID_ARGUMENT, prefix);
      const rest = await fetch(`${s.http}${prefix}/api/pipelines`);
      assert.equal(rest.status, 400, prefix);
    }
    if (TEST_BACKEND === 'sqlite') {
      const files = fs.readdirSync(path.join(s.dir, 'tenants')).filter((f) => f.endsWith('.db'));
      assert.deepEqual(files.sort(), ['team-a.db', 'team-b.db']);
    }
  });

  test("the ml-metadata package opens each tenant's store on its own: its records only", () => {
    const script = [
      'import json, sys',
      'from ml_metadata.metadata_store import metadata_store',
      'from ml_metadata.proto import metadata_store_pb2 as pb',
      'spec = json.loads(sys.argv[1])',
      'c = pb.ConnectionConfig()',
      "if 'sqlite' in spec:",
      "  c.sqlite.filename_uri = spec['sqlite']",
      '  c.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READONLY',
      "elif 'postgresql' in spec:",
      "  p = spec['postgresql']",
      "  c.postgresql.host = p['host']; c.postgresql.port = p['port']; c.postgresql.user = p['user']",
      "  c.postgresql.password = p['password']; c.postgresql.dbname = p['dbname']",
      'else:',
      "  m = spec['mysql']",
      "  c.mysql.host = m['host']; c.mysql.port = m['port']; c.mysql.user = m['user']",
      "  c.mysql.password = m['password']; c.mysql.database = m['database']",
      'store = metadata_store.MetadataStore(c)',
      'print(json.dumps({"uris": [a.uri for a in store.get_artifacts()],',
      '  "executions": [e.name for e in store.get_executions()],',
      '  "types": [t.name for t in store.get_artifact_types()]}))',
    ].join('\n');
    for (const t of ALL) {
      const r = spawnSync(PYTHON, ['-c', script, JSON.stringify(s.stores[t])], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const seen = JSON.parse(r.stdout) as { uris: string[]; executions: string[]; types: string[] };
      assert.ok(seen.uris.length >= 30, `${t}: ${seen.uris.length} artifacts`);
      assertOwn(
        t,
        seen.uris.filter((u) => u.startsWith('s3://')),
        'ml-metadata get_artifacts',
      );
      assertOwn(
        t,
        seen.executions.filter((e) => e !== ''),
        'ml-metadata get_executions',
        false,
      );
    }
  });
});

describe(`tenants with access control (${TEST_BACKEND})`, () => {
  let s: Running;
  let alice: string;
  const auth = (token: string) => {
    const m = new grpc.Metadata();
    m.set('authorization', `Bearer ${token}`);
    return { metadata: m };
  };
  const clients: MlmdClient[] = [];
  const client = (tenant?: string) => {
    const c = new MlmdClient(s.grpc, { deadlineMs: 30_000, tenant });
    clients.push(c);
    return c;
  };
  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenants-access-'));
    const created = await createApiToken('alice');
    alice = created.token;
    fs.writeFileSync(path.join(dir, 'tokens'), `${created.line}\n`, { mode: 0o600 });
    const policy = {
      tenants: {
        default: { principals: {} },
        'team-a': { principals: { alice: 'writer' } },
        'team-b': { principals: {} },
      },
    };
    fs.writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(policy));
    s = await startServer([
      `--access_policy_file=${path.join(dir, 'policy.json')}`,
      `--api_tokens_file=${path.join(dir, 'tokens')}`,
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    for (const c of clients) c.close();
    await s?.cleanup();
  });

  test("a principal's calls without a tenant reach its tenant; another tenant and an unknown one are refused alike", async () => {
    await client().putContextType({ contextType: { name: 'AliceType', properties: {} } }, auth(alice));
    const inA = await client('team-a').getContextTypes({}, auth(alice));
    assert.deepEqual(
      inA.contextTypes.map((t) => t.name),
      ['AliceType'],
    );
    const refusals: string[] = [];
    for (const tenant of ['team-b', 'nobody', 'default']) {
      const e = await expectStatus(client(tenant).getContextTypes({}, auth(alice)), status.PERMISSION_DENIED);
      refusals.push(e.details.replace(tenant, 'X'));
    }
    // The same answer whether the tenant exists or not.
    assert.equal(new Set(refusals).size, 1, refusals.join(' | '));
    // The cmf-server API: the CLI's Basic credentials under the tenant's prefix.
    const basic = { authorization: `Basic ${Buffer.from(`alice:${alice}`).toString('base64')}` };
    assert.equal((await fetch(`${s.http}/t/team-a/api/pipelines`, { headers: basic })).status, 200);
    assert.equal((await fetch(`${s.http}/t/team-b/api/pipelines`, { headers: basic })).status, 403);
    assert.equal((await fetch(`${s.http}/t/nobody/api/pipelines`, { headers: basic })).status, 403);
  });
});

/**
 * The tenants registry (src/server/tenants.ts) and the naming rules (src/storage/tenants.ts): stores open on first
 * use, at most maxOpen at once (least recently used idle ones close first, one in use never), a store that failed to
 * open is tried again, unknown and malformed names are refused without opening anything, and shutdown closes all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, MlmdError } from '../../src/errors';
import { Tenants } from '../../src/server/tenants';
import { splitTenantPrefix } from '../../src/server/tenant-request';
import { tenantBackend, tenantDatabaseName, tenantNameProblem } from '../../src/storage/tenants';

class FakeStore {
  closed = false;
  constructor(readonly name: string) {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

function registry(maxOpen: number, failFirstOpenOf?: string) {
  const opened: FakeStore[] = [];
  let failed = false;
  const tenants = new Tenants<FakeStore>({
    names: ['default', 'a', 'b', 'c'],
    pinned: ['default'],
    maxOpen,
    open: async (name) => {
      if (name === failFirstOpenOf && !failed) {
        failed = true;
        throw new MlmdError(Code.ABORTED, 'database starting up');
      }
      const s = new FakeStore(name);
      opened.push(s);
      return s;
    },
  });
  return { tenants, opened };
}

/** Lets the closes an eviction started (promise continuations) run. */
const settled = () => new Promise((r) => setImmediate(r));

const call = (tenants: Tenants<FakeStore>, tenant?: string) =>
  tenants.use({ protocol: 'grpc', tenant }, async (s) => s.name);

test('a call without a tenant reaches default; a named one its own store, opened once, on first use', async () => {
  const { tenants, opened } = registry(8);
  assert.equal(opened.length, 0);
  assert.equal(await call(tenants), 'default');
  assert.equal(await call(tenants, 'a'), 'a');
  assert.equal(await call(tenants, 'a'), 'a');
  assert.deepEqual(
    opened.map((s) => s.name),
    ['default', 'a'],
  );
});

test('unknown and malformed tenants are refused with INVALID_ARGUMENT and open nothing', async () => {
  const { tenants, opened } = registry(8);
  for (const [name, message] of [
    ['nobody', /tenant nobody is not configured/],
    ['../x', /is not a tenant name/],
    ['A', /is not a tenant name/],
    ['', /must not be empty/],
  ] as const) {
    await assert.rejects(
      call(tenants, name),
      (e: MlmdError) => e.code === Code.INVALID_ARGUMENT && message.test(e.message),
    );
  }
  assert.equal(opened.length, 0);
});

test('at most maxOpen stores: the least recently used idle one closes, never the pinned one or one in use', async () => {
  const { tenants, opened } = registry(2);
  await call(tenants); // default (pinned)
  let release!: () => void;
  const busy = tenants.use({ protocol: 'grpc', tenant: 'a' }, () => new Promise<void>((r) => (release = r)));
  await new Promise((r) => setImmediate(r));
  await call(tenants, 'b'); // 3 open; a is in use, default pinned: b (idle) goes
  await settled();
  const byName = (n: string) => opened.filter((s) => s.name === n);
  assert.equal(byName('a')[0].closed, false);
  assert.equal(byName('default')[0].closed, false);
  assert.equal(byName('b')[0].closed, true);
  release();
  await busy;
  await settled();
  assert.equal(byName('a')[0].closed, false); // idle now, but within the bound
  await call(tenants, 'c'); // a is the least recently used idle store
  await settled();
  assert.equal(byName('a')[0].closed, true);
  await call(tenants, 'a'); // opened again
  assert.equal(byName('a').length, 2);
  await tenants.close();
  assert.ok(opened.every((s) => s.closed));
  await assert.rejects(call(tenants, 'a'), (e: MlmdError) => e.code === Code.UNAVAILABLE);
});

test('a store that failed to open is tried again by the next call', async () => {
  const { tenants } = registry(8, 'c');
  await assert.rejects(call(tenants, 'c'), (e: MlmdError) => e.code === Code.ABORTED);
  assert.equal(await call(tenants, 'c'), 'c');
});

test('tenant names are DNS labels; stores are a file per tenant or a database <base>_<tenant>', () => {
  for (const ok of ['a', 'team-a', 'kubeflow-user-example-com', '0x'])
    assert.equal(tenantNameProblem(ok), undefined, ok);
  for (const bad of ['', '-a', 'a-', 'A', 'a_b', 'a.b', 'a/b', '..', 'x'.repeat(41), 'é'])
    assert.ok(tenantNameProblem(bad), bad);
  assert.equal(tenantDatabaseName('metadb', 'team-a'), 'metadb_team_a');
  assert.throws(() => tenantDatabaseName('m'.repeat(40), 'x'.repeat(30)), /longer than 63 bytes/);
  const sqlite = { kind: 'sqlite' as const, filenameUri: '/data/mlmd.db' };
  assert.equal(tenantBackend(sqlite, 'default', '/data/tenants'), sqlite);
  assert.deepEqual(tenantBackend(sqlite, 'team-a', '/data/tenants'), {
    kind: 'sqlite',
    filenameUri: '/data/tenants/team-a.db',
  });
  assert.throws(() => tenantBackend({ kind: 'sqlite', filenameUri: ':memory:' }, 'a', '/t'), /in-memory/);
  const pg = tenantBackend({ kind: 'postgresql', config: { host: 'db', dbname: 'mlmd' } }, 'team-a', '');
  assert.equal(pg.kind === 'postgresql' && pg.config.dbname, 'mlmd_team_a');
  const my = tenantBackend({ kind: 'mysql', config: { host: 'db', database: 'metadb' } }, 'b', '');
  assert.equal(my.kind === 'mysql' && my.config.database, 'metadb_b');
});

test('the /t/<tenant> prefix is split off the path', () => {
  assert.deepEqual(splitTenantPrefix('/t/team-a/api/mlmd_push'), { tenant: 'team-a', rest: '/api/mlmd_push' });
  assert.deepEqual(splitTenantPrefix('/t/team-a'), { tenant: 'team-a', rest: '/' });
  assert.deepEqual(splitTenantPrefix('/t//x'), { tenant: '', rest: '/x' });
  assert.equal(splitTenantPrefix('/api/t/x'), undefined);
  assert.equal(splitTenantPrefix('/tx/a'), undefined);
});

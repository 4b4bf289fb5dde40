/**
 * The rules of access control as data: every hosted method has a class, the policy file's format, API tokens and
 * the failed-authentication limiter. The protocols are exercised in test/access/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileDescriptorSet } from '../../generated/google/protobuf/descriptor';
import { readFileSync } from 'node:fs';
import { ApiTokens, createApiToken } from '../../src/access/api-tokens';
import { FailureLimiter } from '../../src/access/failure-limiter';
import { knownTenants } from '../../src/cli/config';
import { METHOD_CLASSES, methodClass } from '../../src/access/method-classes';
import { Policy } from '../../src/access/policy';
import type { Principal } from '../../src/access/principal';
import { roleAllows } from '../../src/access/roles';
import { certificatePrincipal } from '../../src/access/client-certificate';
import { TrustedProxy } from '../../src/access/trusted-proxy';
import { buildServerPlan } from '../../src/cli/config';
import { parseFlags } from '../../src/cli/flags';
import { startupSummary } from '../../src/cli/startup-summary';
import type { PeerCertificate } from 'node:tls';
import { DESCRIPTOR_SET_PATH } from '../../src/server/reflection';
import { cmfServerRouteTable } from '../../src/server/cmf-rest';

/** Every service method of the compiled descriptor set, as `/package.Service/Method`. */
function describedMethods(): string[] {
  const set = FileDescriptorSet.decode(readFileSync(DESCRIPTOR_SET_PATH));
  const paths: string[] = [];
  for (const file of set.file ?? [])
    for (const service of file.service ?? [])
      for (const method of service.method ?? []) paths.push(`/${file.package}.${service.name}/${method.name}`);
  return paths;
}

test('every method of every service in the descriptor set has an access class', () => {
  const methods = describedMethods();
  assert.ok(methods.length >= 79, `only ${methods.length} methods described`);
  const unclassified = methods.filter((m) => methodClass(m) === undefined);
  assert.deepEqual(unclassified, [], 'classify these in src/access/method-classes.ts');
});

test('the class table names no method that does not exist (reflection comes from its own package)', () => {
  const described = new Set(describedMethods());
  for (const [service, methods] of Object.entries(METHOD_CLASSES)) {
    if (service.startsWith('grpc.reflection.')) continue;
    for (const name of Object.keys(methods)) assert.ok(described.has(`/${service}/${name}`), `${service}/${name}`);
  }
});

test('reads are Get*, writes Put*, deletion is admin, health is open (the table agrees with the names)', () => {
  for (const m of describedMethods()) {
    const name = m.slice(m.lastIndexOf('/') + 1);
    const cls = methodClass(m);
    if (m.startsWith('/grpc.health.')) assert.equal(cls, 'open', m);
    else if (m.startsWith('/cmf_mlmd.v1.LifecycleService/')) assert.equal(cls, 'admin', m);
    else if (/^(Put|Create|Update|Finalize|Log|Merge)/.test(name)) assert.equal(cls, 'write', m);
    else if (/^(Get|Dump|Export|Pull)/.test(name)) assert.equal(cls, 'read', m);
    else assert.fail(`${m}: a name this test does not know; decide its class and extend the test`);
  }
});

test('every cmf-server REST route has a class; pushes and uploads write, federation administers', () => {
  const table = cmfServerRouteTable();
  const cls = (method: string, path: string) =>
    table.find((r) => r.method === method && r.path.join('/') === path)?.access;
  assert.equal(cls('POST', 'mlmd_push'), 'write');
  assert.equal(cls('POST', 'mlmd_pull'), 'read');
  assert.equal(cls('POST', 'python-env'), 'write');
  assert.equal(cls('POST', 'label'), 'write');
  assert.equal(cls('POST', 'tensorboard'), 'write');
  assert.equal(cls('POST', 'register-server'), 'admin');
  assert.equal(cls('POST', 'sync'), 'admin');
  for (const r of table) {
    if (r.method === 'GET') assert.ok(r.access === 'read' || r.access === 'open', `${r.method} ${r.path.join('/')}`);
  }
});

test('roles imply each other: admin > writer > reader; open needs none', () => {
  assert.ok(roleAllows(undefined, 'open'));
  assert.ok(!roleAllows(undefined, 'read'));
  assert.ok(roleAllows('reader', 'read') && !roleAllows('reader', 'write'));
  assert.ok(roleAllows('writer', 'read') && roleAllows('writer', 'write') && !roleAllows('writer', 'admin'));
  assert.ok(roleAllows('admin', 'admin') && roleAllows('admin', 'read'));
});

const alice: Principal = { name: 'alice', groups: ['ml'], source: 'oidc' };
const bob: Principal = { name: 'bob', groups: [], source: 'api-token' };

test('policy: principal, group and * entries; the highest role wins; default tenant', () => {
  const policy = Policy.parse(
    JSON.stringify({
      tenants: { default: { principals: { alice: 'reader', '*': 'reader' }, groups: { ml: 'writer' } } },
    }),
    knownTenants({}),
  );
  assert.equal(policy.roleOf(alice, 'default'), 'writer');
  assert.equal(policy.roleOf(bob, 'default'), 'reader');
  assert.equal(policy.roleOf(alice, 'other'), undefined);
  assert.equal(policy.defaultTenantOf(alice), 'default');
});

test('policy: refuses what does not parse, unknown fields and roles, and unknown tenants', () => {
  const parse = (doc: unknown) => () => Policy.parse(typeof doc === 'string' ? doc : JSON.stringify(doc), ['default']);
  assert.throws(parse('{'), /not valid JSON/);
  assert.throws(parse([]), /must be a JSON object/);
  assert.throws(parse({ tenant: {} }), /unknown field "tenant"/);
  assert.throws(
    parse({ tenants: { default: { principals: { a: 'owner' } } } }),
    /must be one of reader, writer, admin/,
  );
  assert.throws(parse({ tenants: { other: {} } }), /unknown tenant "other"/);
  assert.throws(parse({ default_tenants: { a: 'nope' } }), /unknown tenant "nope"/);
  // With tenants known (the tenant registry's list), the same policy is accepted.
  assert.doesNotThrow(() => Policy.parse(JSON.stringify({ tenants: { other: {} } }), ['default', 'other']));
});

test('API tokens: a created token verifies, as bearer and with its account; nothing else does', async () => {
  const { token, line } = await createApiToken('cmf-ci');
  assert.ok(!line.includes(token.slice(21)), 'the file line must not contain the secret');
  const tokens = ApiTokens.parse(`# comment\n${line}\n`);
  assert.deepEqual(await tokens.verify(token), { name: 'cmf-ci', groups: [], source: 'api-token' });
  assert.ok(await tokens.verify(token, 'cmf-ci'));
  assert.equal(await tokens.verify(token, 'someone-else'), undefined);
  const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
  assert.equal(await tokens.verify(forged), undefined);
  assert.equal(await tokens.verify('cmfmlmd_000000000000_' + 'A'.repeat(43)), undefined);
  assert.throws(() => ApiTokens.parse('cmf-ci 123 plain'), /line 1/);
});

test('failed authentications: a burst, then one per interval, per address', () => {
  let now = 0;
  const limiter = new FailureLimiter({ burst: 3, perMinute: 6 }, () => now);
  for (let i = 0; i < 3; i++) {
    assert.ok(limiter.allows('10.0.0.1'));
    limiter.failed('10.0.0.1');
  }
  assert.ok(!limiter.allows('10.0.0.1'));
  assert.ok(limiter.allows('10.0.0.2'), 'another address is not affected');
  assert.equal(limiter.retryAfterSeconds('10.0.0.1'), 10);
  now += 10_000;
  assert.ok(limiter.allows('10.0.0.1'));
});

const credentials = (headers: Record<string, string>, remoteAddress?: string) => ({
  header: (name: string) => headers[name],
  remoteAddress,
  peerCertificate: () => undefined,
});

test('trusted proxy: the header counts only from the proxy, with its prefix removed', () => {
  const proxy = new TrustedProxy({
    header: 'kubeflow-userid',
    prefix: 'accounts.google.com:',
    addresses: ['10.0.0.7'],
  });
  const named = { 'kubeflow-userid': 'accounts.google.com:alice@example.com' };
  assert.deepEqual(proxy.principalOf(credentials(named, '10.0.0.7')), {
    name: 'alice@example.com',
    groups: [],
    source: 'trusted-proxy',
  });
  assert.equal(proxy.principalOf(credentials(named, '::ffff:10.0.0.7'))?.name, 'alice@example.com');
  assert.equal(proxy.principalOf(credentials(named, '10.0.0.8')), undefined, 'not from the proxy');
  assert.equal(proxy.principalOf(credentials({ 'kubeflow-userid': 'alice' }, '10.0.0.7')), undefined, 'no prefix');
  assert.equal(proxy.principalOf(credentials({}, '10.0.0.7')), undefined);
});

test('client certificates: CN or the first SAN of a kind; OUs are groups', () => {
  const cert = {
    subject: { CN: 'alice', OU: ['ml', 'ops'] },
    subjectaltname: 'DNS:alice.example, URI:spiffe://example/alice, email:alice@example.com',
  } as unknown as PeerCertificate;
  assert.deepEqual(certificatePrincipal(cert, 'cn'), {
    name: 'alice',
    groups: ['ml', 'ops'],
    source: 'client-certificate',
  });
  assert.equal(certificatePrincipal(cert, 'san-uri')?.name, 'spiffe://example/alice');
  assert.equal(certificatePrincipal(cert, 'san-email')?.name, 'alice@example.com');
  assert.equal(certificatePrincipal(cert, 'san-dns')?.name, 'alice.example');
  assert.equal(certificatePrincipal({ subject: {} } as PeerCertificate, 'cn'), undefined);
});

test('flags: off without a policy; identities need a policy and a policy needs an identity', () => {
  assert.equal(buildServerPlan(parseFlags([])).access, undefined);
  assert.throws(() => buildServerPlan(parseFlags(['--api_tokens_file=t'])), /need\(s\) --access_policy_file/);
  assert.throws(() => buildServerPlan(parseFlags(['--access_policy_file=p'])), /at least one identity/);
  assert.throws(
    () => buildServerPlan(parseFlags(['--access_policy_file=p', '--oidc_issuer=https://idp.example'])),
    /--oidc_issuer and --oidc_audience go together/,
  );
  assert.throws(
    () => buildServerPlan(parseFlags(['--access_policy_file=p', '--client_cert_principal=cn'])),
    /needs ssl_config with client_verify/,
  );
  const plan = buildServerPlan(
    parseFlags(['--access_policy_file=p', '--trusted_proxy_header=Kubeflow-UserID', '--api_tokens_file=t']),
  );
  assert.equal(plan.access?.trustedProxy?.header, 'kubeflow-userid');
  assert.ok(plan.warnings.some((w) => /anyone who reaches the ports can send kubeflow-userid/.test(w)));
});

test('the start-up summary says the server is open when access control is off beyond loopback', () => {
  const summary = (args: string[]) => startupSummary(buildServerPlan(parseFlags(args)), { grpcPort: 8080 }, undefined);
  assert.equal(summary(['--host=127.0.0.1']).access, 'off');
  assert.match(String(summary([]).access), /open to anyone/);
  const on = summary(['--access_policy_file=p', '--api_tokens_file=t']).access as Record<string, unknown>;
  assert.deepEqual(on, { policy_file: 'p', api_tokens_file: 't', auth_failures_per_minute: 10 });
});

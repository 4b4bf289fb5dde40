/**
 * Access control end to end: the real server process (flags, policy file, API token file), a real OpenID provider
 * (oidc-provider) issuing real tokens, and every method of every hosted service on gRPC and gRPC-Web, and every
 * cmf-server REST route, called with credentials that must not pass. Each gets the right code, and the SQLite file
 * is byte-for-byte what it was before. Then the allowed calls, the audit lines, reloading the policy on SIGHUP and
 * refusing a policy at start-up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { importJWK, SignJWT, type JWK } from 'jose';
import { FileDescriptorSet } from '../../generated/google/protobuf/descriptor';
import { createApiToken } from '../../src/access/api-tokens';
import { OidcVerifier } from '../../src/access/oidc';
import { IdentityProviderUnavailable, Unauthenticated } from '../../src/access/refusal';
import { cmfServerRouteTable } from '../../src/server/cmf-rest';
import { DESCRIPTOR_SET_PATH } from '../../src/server/reflection';
import { PutArtifactTypeRequest } from '../../generated/ml_metadata/proto/metadata_store_service';
import { healthCheck, rawUnaryCall, reflect } from '../helpers/grpc-probes';
import { frame, grpcWebPost } from '../helpers/grpc-web';
import { freePort } from '../helpers/net';
import { privateKey, startTestProvider, type TestProvider } from '../helpers/oidc-provider';
import { launch, logLines, ROOT, type Launched } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

const UNAUTHENTICATED = grpc.status.UNAUTHENTICATED;
const PERMISSION_DENIED = grpc.status.PERMISSION_DENIED;
const SECRET = 'client-secret-long-enough-for-the-provider';

/** The hosted unary methods (MLMD and CMF), from the descriptor set, with their class by name. */
/**
 * Every hosted method with what it needs, judged here by name (an oracle independent of access/method-classes.ts):
 * reads are Get*, Dump*, Export* and Pull*; deletion (LifecycleService) is for admins.
 */
function hostedMethods(): { path: string; write: boolean; admin: boolean }[] {
  const set = FileDescriptorSet.decode(fs.readFileSync(DESCRIPTOR_SET_PATH));
  const out: { path: string; write: boolean; admin: boolean }[] = [];
  for (const f of set.file ?? [])
    for (const s of f.service ?? []) {
      const service = `${f.package}.${s.name}`;
      if (service === 'grpc.health.v1.Health') continue;
      for (const m of s.method ?? [])
        out.push({
          path: `/${service}/${m.name}`,
          write: !/^(Get|Dump|Export|Pull)/.test(m.name!),
          admin: service === 'cmf_mlmd.v1.LifecycleService',
        });
    }
  return out;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Hashes of the store's files (the database and its WAL), to prove nothing was written. */
function storeDigest(dbFile: string): string {
  const h = createHash('sha256');
  for (const f of [dbFile, `${dbFile}-wal`]) h.update(fs.existsSync(f) ? fs.readFileSync(f) : Buffer.alloc(0));
  return h.digest('hex');
}

describe('access control', () => {
  let dir: string;
  let dbFile: string;
  let policyFile: string;
  let provider: TestProvider;
  let server: Launched;
  let grpcAddress: string;
  let httpBase: string;
  let client: grpc.Client;
  const tokens: Record<string, string> = {};
  const forged: Record<string, string> = {};

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-access-'));
    dbFile = path.join(dir, 'mlmd.db');
    provider = await startTestProvider([
      { id: 'writer-client', secret: SECRET },
      { id: 'reader-client', secret: SECRET, groups: ['readers'] },
      { id: 'stranger-client', secret: SECRET },
    ]);
    const ci = await createApiToken('cmf-ci');
    const viewer = await createApiToken('viewer');
    tokens.ci = ci.token;
    tokens.viewer = viewer.token;
    fs.writeFileSync(path.join(dir, 'tokens'), `${ci.line}\n${viewer.line}\n`);
    policyFile = path.join(dir, 'policy.json');
    fs.writeFileSync(
      policyFile,
      JSON.stringify({
        tenants: {
          default: {
            principals: { 'writer-client': 'writer', 'cmf-ci': 'writer', viewer: 'reader' },
            groups: { readers: 'reader' },
          },
        },
      }),
    );
    const grpcPort = await freePort();
    server = launch(process.execPath, [
      '--import',
      'tsx',
      path.join(ROOT, 'src', 'cli', 'main.ts'),
      `--db=${dbFile}`,
      '--host=127.0.0.1',
      `--grpc_port=${grpcPort}`,
      '--http_port=0',
      `--cmf_data_dir=${path.join(dir, 'cmf-data')}`,
      `--access_policy_file=${policyFile}`,
      `--api_tokens_file=${path.join(dir, 'tokens')}`,
      `--oidc_issuer=${provider.issuer}`,
      `--oidc_audience=${provider.audience}`,
      // The matrix fails on purpose hundreds of times from one address.
      '--auth_failures_per_minute=1000000',
    ]);
    const line = await server.started();
    grpcAddress = `127.0.0.1:${grpcPort}`;
    httpBase = `http://127.0.0.1:${(line.config as { http: { port: number } }).http.port}`;
    client = new grpc.Client(grpcAddress, grpc.credentials.createInsecure());

    for (const who of ['writer-client', 'reader-client', 'stranger-client']) tokens[who] = await provider.token(who);
    const key = provider.signingKey();
    const signer = await importJWK(key, 'ES256');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'writer-client', iss: provider.issuer, aud: provider.audience, iat: now, exp: now + 300 };
    const sign = (c: object, k: Parameters<SignJWT['sign']>[0] = signer, kid = key.kid!) =>
      new SignJWT({ ...c }).setProtectedHeader({ alg: 'ES256', kid }).sign(k);
    const other = await importJWK(await privateKey('other'), 'ES256');
    forged.expired = await sign({ ...claims, iat: now - 7200, exp: now - 3600 });
    forged.wrongSignature = await sign(claims, other);
    forged.unknownKid = await sign(claims, other, 'not-published');
    forged.wrongAudience = await sign({ ...claims, aud: 'urn:someone-else' });
    forged.wrongIssuer = await sign({ ...claims, iss: 'http://127.0.0.1:1/' });
    forged.notYetValid = await sign({ ...claims, nbf: now + 3600 });
    forged.algNone = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    // HS256 "signed" with the issuer's public key, the classic confusion attack.
    const { d: _d, ...publicJwk } = key as JWK;
    const publicPem = createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64url(claims)}`;
    forged.hs256WithPublicKey = `${unsigned}.${createHmac('sha256', publicPem).update(unsigned).digest('base64url')}`;
    forged.garbage = 'not-a-jwt';
    forged.unknownApiToken = `cmfmlmd_000000000000_${'A'.repeat(43)}`;
  });

  after(async () => {
    client?.close();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await provider?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const bearer = (token: string) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    return md;
  };

  const putType = (name: string) =>
    Buffer.from(PutArtifactTypeRequest.encode({ artifactType: { name }, canAddFields: true }).finish());

  it('a writer writes and a reader reads, with OpenID tokens and API tokens, on gRPC and gRPC-Web', async () => {
    const put = await rawUnaryCall(
      client,
      '/ml_metadata.MetadataStoreService/PutArtifactType',
      putType('seeded'),
      bearer(tokens['writer-client']),
    );
    assert.ok('reply' in put, JSON.stringify(put));
    const read = await rawUnaryCall(
      client,
      '/ml_metadata.MetadataStoreService/GetArtifactTypes',
      Buffer.alloc(0),
      bearer(tokens['reader-client']),
    );
    assert.ok('reply' in read && read.reply.includes(Buffer.from('seeded')), JSON.stringify(read));
    const web = await grpcWebPost(
      httpBase,
      '/ml_metadata.MetadataStoreService/PutArtifactType',
      frame(putType('via-web')),
      {
        headers: { authorization: `Bearer ${tokens.ci}` },
      },
    );
    assert.equal(web.code, grpc.status.OK, web.details);
    const webRead = await grpcWebPost(
      httpBase,
      '/ml_metadata.MetadataStoreService/GetArtifactTypes',
      frame(Buffer.alloc(0)),
      {
        headers: { authorization: `Basic ${Buffer.from(`viewer:${tokens.viewer}`).toString('base64')}` },
      },
    );
    assert.equal(webRead.code, grpc.status.OK, webRead.details);
    assert.ok(webRead.message!.includes(Buffer.from('via-web')));
  });

  it('health stays open; reflection needs a reader', async () => {
    assert.equal(await healthCheck(grpcAddress, ''), 'SERVING');
    await assert.rejects(
      reflect(grpcAddress, { list_services: '' }),
      (e: grpc.ServiceError) => e.code === UNAUTHENTICATED,
    );
    const listed = await reflect(grpcAddress, { list_services: '' }, bearer(tokens['reader-client']));
    assert.ok(listed.list_services_response!.service.some((s) => s.name === 'ml_metadata.MetadataStoreService'));
    const health = await fetch(`${httpBase}/healthz`);
    assert.equal(health.status, 200);
  });

  it('every method on gRPC and gRPC-Web refuses bad credentials, readers writing and principals without a role; the store is unchanged', async () => {
    const before = storeDigest(dbFile);
    const cases: { name: string; authorization?: string; code: number; writesOnly?: boolean; adminOnly?: boolean }[] = [
      { name: 'no credentials', code: UNAUTHENTICATED },
      ...Object.entries(forged).map(([name, token]) => ({
        name,
        authorization: `Bearer ${token}`,
        code: UNAUTHENTICATED,
      })),
      {
        name: 'bad basic password',
        authorization: `Basic ${Buffer.from('viewer:wrong').toString('base64')}`,
        code: UNAUTHENTICATED,
      },
      { name: 'unknown scheme', authorization: 'Digest x', code: UNAUTHENTICATED },
      {
        name: 'principal without a role',
        authorization: `Bearer ${tokens['stranger-client']}`,
        code: PERMISSION_DENIED,
      },
      {
        name: 'reader writing (OpenID group)',
        authorization: `Bearer ${tokens['reader-client']}`,
        code: PERMISSION_DENIED,
        writesOnly: true,
      },
      {
        name: 'reader writing (API token)',
        authorization: `Bearer ${tokens.viewer}`,
        code: PERMISSION_DENIED,
        writesOnly: true,
      },
      {
        name: 'writer deleting',
        authorization: `Bearer ${tokens['writer-client']}`,
        code: PERMISSION_DENIED,
        adminOnly: true,
      },
    ];
    const methods = hostedMethods();
    assert.ok(methods.length >= 77);
    const wrong: string[] = [];
    let calls = 0;
    for (const c of cases) {
      for (const m of methods) {
        if (c.writesOnly && !m.write) continue;
        if (c.adminOnly && !m.admin) continue;
        const md = new grpc.Metadata();
        if (c.authorization) md.set('authorization', c.authorization);
        const [native, web] = await Promise.all([
          rawUnaryCall(client, m.path, Buffer.alloc(0), md),
          grpcWebPost(httpBase, m.path, frame(Buffer.alloc(0)), {
            headers: c.authorization ? { authorization: c.authorization } : {},
          }),
        ]);
        calls += 2;
        const nativeCode = 'code' in native ? native.code : 0;
        if (nativeCode !== c.code) wrong.push(`grpc ${m.path} ${c.name}: ${nativeCode}`);
        if (web.code !== c.code) wrong.push(`grpc-web ${m.path} ${c.name}: ${web.code} ${web.details}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(calls > 1000, `${calls} calls`);
    assert.equal(storeDigest(dbFile), before, 'the store changed');
  });

  it('every cmf-server REST route answers 401 with a challenge, or 403, and nothing is stored', async () => {
    const before = storeDigest(dbFile);
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const wrong: string[] = [];
    const routes = cmfServerRouteTable().filter((r) => r.access !== 'open');
    for (const r of routes) {
      const url = `${httpBase}/api/${r.path.map((p) => (p === '*' ? 'x' : p)).join('/')}`;
      const call = (authorization?: string) =>
        fetch(url, {
          method: r.method,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: r.method === 'POST' ? '{}' : undefined,
        });
      for (const [name, authorization, status] of [
        ['none', undefined, 401],
        ['bad basic', basic('viewer', 'wrong'), 401],
        ['expired', `Bearer ${forged.expired}`, 401],
        ['alg none', `Bearer ${forged.algNone}`, 401],
        ['no role', `Bearer ${tokens['stranger-client']}`, 403],
        ...(r.access === 'read' ? [] : [['reader', basic('viewer', tokens.viewer), 403]]),
      ] as [string, string | undefined, number][]) {
        const res = await call(authorization);
        await res.arrayBuffer();
        if (res.status !== status) wrong.push(`${r.method} ${url} ${name}: ${res.status}`);
        if (status === 401 && !/Bearer realm=.*Basic realm=/.test(res.headers.get('www-authenticate') ?? '')) {
          wrong.push(`${r.method} ${url} ${name}: no challenge`);
        }
      }
    }
    assert.deepEqual(wrong, []);
    assert.equal(storeDigest(dbFile), before, 'the store changed');
    // The cmf CLI's way: the API token as the Basic password of its account.
    const ok = await fetch(`${httpBase}/api/pipelines`, { headers: { authorization: basic('cmf-ci', tokens.ci) } });
    assert.equal(ok.status, 200);
  });

  it('writes and refusals are audited, one line each, without secrets', () => {
    const lines = logLines(server.output()).filter((l) => l.audit !== undefined);
    const write = lines.find((l) => l.audit === 'write' && l.principal === 'writer-client' && l.code === 'OK');
    assert.ok(write, 'the write is audited');
    assert.equal(write.tenant, 'default');
    assert.equal(write.method, '/ml_metadata.MetadataStoreService/PutArtifactType');
    assert.ok(lines.some((l) => l.code === 'UNAUTHENTICATED' && l.principal === undefined));
    assert.ok(lines.some((l) => l.code === 'PERMISSION_DENIED' && l.principal === 'stranger-client'));
    assert.ok(!lines.some((l) => l.audit === 'read' && l.code === 'OK'), 'allowed reads are not audited');
    const all = server.output();
    for (const t of [...Object.values(tokens), forged.expired]) assert.ok(!all.includes(t), 'a token reached the log');
  });

  it('SIGHUP reloads the policy; a bad file keeps the old one', async () => {
    const write = () =>
      rawUnaryCall(
        client,
        '/ml_metadata.MetadataStoreService/PutArtifactType',
        putType('by-reader'),
        bearer(tokens['reader-client']),
      );
    assert.equal(((await write()) as { code: number }).code, PERMISSION_DENIED);
    fs.writeFileSync(
      policyFile,
      JSON.stringify({
        tenants: { default: { principals: { 'writer-client': 'writer' }, groups: { readers: 'writer' } } },
      }),
    );
    const reloaded = () => logLines(server.output()).filter((l) => l.msg === 'access policy reloaded').length;
    server.child.kill('SIGHUP');
    await waitFor('the reload', () => reloaded() === 1);
    assert.ok('reply' in (await write()));

    fs.writeFileSync(policyFile, '{ "tenants": ');
    server.child.kill('SIGHUP');
    await waitFor('the refused reload', () => /access policy not reloaded/.test(server.output()));
    assert.ok('reply' in (await write()), 'the previous policy stays in force');
    assert.equal(server.child.exitCode, null);
  });

  it('start-up refuses a policy that names an unknown tenant, or does not parse', async () => {
    for (const [text, message] of [
      [JSON.stringify({ tenants: { other: { principals: { a: 'reader' } } } }), /unknown tenant "other"/],
      ['{ not json', /not valid JSON/],
    ] as const) {
      const file = path.join(dir, 'bad-policy.json');
      fs.writeFileSync(file, text);
      const bad = launch(process.execPath, [
        '--import',
        'tsx',
        path.join(ROOT, 'src', 'cli', 'main.ts'),
        '--db=:memory:',
        '--host=127.0.0.1',
        `--grpc_port=${await freePort()}`,
        '--http_port=-1',
        `--access_policy_file=${file}`,
        `--api_tokens_file=${path.join(dir, 'tokens')}`,
      ]);
      const { code } = await bad.exited;
      assert.equal(code, 1, bad.output());
      assert.match(
        logLines(bad.output())
          .map((l) => l.msg)
          .join('\n'),
        message,
      );
    }
  });
});

describe('OpenID keys: fetched from the discovery document, fetched again when the issuer rotates', () => {
  it('a token signed by a new key verifies after rotation; one whose key left the JWKS does not', async () => {
    const provider = await startTestProvider([{ id: 'svc', secret: SECRET, groups: ['g1', 'g2'] }]);
    try {
      const options = { issuer: provider.issuer, audience: provider.audience, jwksCooldownMs: 0 };
      const verifier = new OidcVerifier(options);
      const first = await provider.token('svc');
      assert.deepEqual(await verifier.verify(first), { name: 'svc', groups: ['g1', 'g2'], source: 'oidc' });
      const fetched = provider.jwksFetches();
      assert.deepEqual(await verifier.verify(first), { name: 'svc', groups: ['g1', 'g2'], source: 'oidc' });
      assert.equal(provider.jwksFetches(), fetched, 'a verified token is remembered, the keys are not fetched again');

      await provider.rotate();
      const second = await provider.token('svc');
      assert.equal((await verifier.verify(second)).name, 'svc');
      assert.ok(provider.jwksFetches() > fetched, 'the unknown kid made the verifier fetch the JWKS again');
      await assert.rejects(new OidcVerifier(options).verify(first), Unauthenticated);
      // An issuer that cannot be reached is not the caller's fault: UNAVAILABLE, which clients retry.
      const unreachable = new OidcVerifier({ ...options, issuer: 'http://127.0.0.1:1' });
      await assert.rejects(unreachable.verify(second), IdentityProviderUnavailable);
    } finally {
      await provider.close();
    }
  });
});

/**
 * A real OpenID provider for tests: `oidc-provider` (OpenID-certified) on 127.0.0.1, issuing JWT access tokens by
 * the client_credentials grant, each client's id as the token's subject. Its signing keys can be rotated: the
 * provider is rebuilt with a new key and the old one dropped from its JWKS, as an issuer's rotation does.
 * The private keys are handed out too, so a test can forge tokens the real keys would sign (expired, other
 * audience) next to the provider's own.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface TestClient {
  id: string;
  secret: string;
  groups?: string[];
}

export interface TestProvider {
  issuer: string;
  audience: string;
  /** The private JWK the provider signs with now (kid included). */
  signingKey(): JWK;
  /** A fresh access token for a client (client_credentials grant). */
  token(clientId: string): Promise<string>;
  /** Replaces the signing key by a new one with another kid; the old key leaves the JWKS. */
  rotate(): Promise<void>;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  close(): Promise<void>;
}

export async function privateKey(kid: string): Promise<JWK> {
  const { privateKey: key } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(key)), kid, alg: 'ES256', use: 'sig' };
}

export async function startTestProvider(
  clients: readonly TestClient[],
  audience = 'urn:cmf-mlmd',
): Promise<TestProvider> {
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, s) => s.end();
  let fetches = 0;
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) fetches++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const groups = new Map(clients.map((c) => [c.id, c.groups ?? []]));
  let generation = 0;
  let key: JWK;

  const build = async (): Promise<void> => {
    key = await privateKey(`k${++generation}`);
    const provider = new Provider(issuer, {
      clients: clients.map((c) => ({
        client_id: c.id,
        client_secret: c.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        id_token_signed_response_alg: 'ES256',
      })),
      jwks: { keys: [key] },
      ttl: { ClientCredentials: 300 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'api',
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) => ({ groups: groups.get(token.clientId ?? '') }),
    });
    handler = provider.callback();
  };
  await build();

  return {
    issuer,
    audience,
    signingKey: () => key,
    async token(clientId) {
      const client = clients.find((c) => c.id === clientId)!;
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', resource: audience }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    rotate: build,
    jwksFetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

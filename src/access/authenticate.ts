/**
 * Who is calling, from whatever the request carries, in this order: a trusted proxy's header (from the proxy),
 * `authorization: Bearer` (an API token by its prefix, else an OpenID Connect JWT), `authorization: Basic`
 * (account and API token), then the verified client certificate. Credentials that are present but wrong are never
 * passed over for weaker ones: they answer UNAUTHENTICATED.
 */
import { looksLikeApiToken, type ApiTokens } from './api-tokens';
import { certificatePrincipal, type CertificateName } from './client-certificate';
import type { OidcVerifier } from './oidc';
import type { Principal, RequestCredentials } from './principal';
import { Unauthenticated } from './refusal';
import type { TrustedProxy } from './trusted-proxy';

export interface Identities {
  oidc?: OidcVerifier;
  /** A function, so the file can be reloaded (SIGHUP) under running calls. */
  apiTokens?: () => ApiTokens;
  clientCertificates?: CertificateName;
  trustedProxy?: TrustedProxy;
}

/** The kinds of credentials configured, for the start-up line and the HTTP challenge. */
export function identityKinds(ids: Identities): string[] {
  const kinds: string[] = [];
  if (ids.oidc) kinds.push('oidc');
  if (ids.apiTokens) kinds.push('api-tokens');
  if (ids.clientCertificates) kinds.push(`client-certificates (${ids.clientCertificates})`);
  if (ids.trustedProxy) kinds.push('trusted-proxy');
  return kinds;
}

const INVALID = 'invalid credentials';

function basicCredentials(value: string): { user: string; password: string } | undefined {
  let decoded: string;
  try {
    decoded = Buffer.from(value, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function authenticate(ids: Identities, credentials: RequestCredentials): Promise<Principal> {
  const proxied = ids.trustedProxy?.principalOf(credentials);
  if (proxied) return proxied;

  const authorization = credentials.header('authorization');
  if (authorization !== undefined) {
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && value !== '') {
      if (looksLikeApiToken(value)) {
        const p = await ids.apiTokens?.().verify(value);
        if (p) return p;
        throw new Unauthenticated(INVALID, 'unknown or revoked API token');
      }
      if (ids.oidc) return ids.oidc.verify(value);
      throw new Unauthenticated(INVALID, 'a bearer token that is no API token, and OpenID Connect is not configured');
    }
    if (scheme === 'basic') {
      const basic = basicCredentials(value);
      const p = basic && (await ids.apiTokens?.().verify(basic.password, basic.user));
      if (p) return p;
      throw new Unauthenticated(INVALID, 'HTTP Basic credentials that match no API token');
    }
    throw new Unauthenticated(INVALID, `unsupported authorization scheme "${scheme}"`);
  }

  if (ids.clientCertificates) {
    const cert = credentials.peerCertificate();
    if (cert && Object.keys(cert).length > 0) {
      const p = certificatePrincipal(cert, ids.clientCertificates);
      if (p) return p;
      throw new Unauthenticated(INVALID, `the client certificate has no ${ids.clientCertificates} name`);
    }
  }
  throw new Unauthenticated('authentication required', 'no credentials');
}

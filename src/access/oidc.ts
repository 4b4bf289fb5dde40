/**
 * OpenID Connect bearer tokens (JWTs), verified by `jose`, never by hand: the issuer's discovery document names its
 * JWKS; keys are fetched, cached and fetched again when a token names a key id the cache does not know (the issuer
 * rotated its keys). Only asymmetric algorithms are accepted, so `alg: none` and an HS256 token "signed" with the
 * public key are refused; issuer, audience, expiry and not-before are checked with a small clock skew. A verified
 * token is remembered (by its SHA-256) until it expires, so a client reusing its token costs one hash per call.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { BoundedCache } from './bounded-cache';
import type { Principal } from './principal';
import { IdentityProviderUnavailable, Unauthenticated } from './refusal';

/** Asymmetric JWS algorithms only. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
const REMEMBERED = 10_000;
/** Even a token valid for a day is checked again after this (a principal removed from a group loses it then). */
const REMEMBER_AT_MOST_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;

export interface OidcOptions {
  /** The issuer URL, exactly as tokens carry it in `iss`. */
  issuer: string;
  /** The audience tokens must name in `aud` (the client id or resource the IdP issues them for). */
  audience: string;
  /** The claim naming the principal (default `sub`). */
  principalClaim?: string;
  /** The claim listing the principal's groups (default `groups`; a string or an array of strings). */
  groupsClaim?: string;
  clockSkewSeconds?: number;
  /** The least time between two JWKS fetches (jose's cooldown; default 30 s). */
  jwksCooldownMs?: number;
}

export class OidcVerifier {
  private readonly remembered = new BoundedCache<Principal>(REMEMBERED);
  private keys?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(private readonly options: OidcOptions) {}

  /** The JWKS named by the discovery document; fetched on first use, and again after a failure. */
  private jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.keys ??= this.discover().catch((e: unknown) => {
      this.keys = undefined;
      throw e;
    });
    return this.keys;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const url = `${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (e) {
      throw new IdentityProviderUnavailable(
        `cannot read the OpenID discovery document ${url}: ${(e as Error).message}`,
      );
    }
    if (doc.issuer !== this.options.issuer || typeof doc.jwks_uri !== 'string') {
      throw new IdentityProviderUnavailable(
        `the discovery document ${url} names issuer ${JSON.stringify(doc.issuer)} (expected ${this.options.issuer}) or no jwks_uri`,
      );
    }
    return createRemoteJWKSet(new URL(doc.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: this.options.jwksCooldownMs,
    });
  }

  /** The token's principal; Unauthenticated for any token that does not verify. */
  async verify(token: string): Promise<Principal> {
    const key = createHash('sha256').update(token).digest('base64url');
    const known = this.remembered.get(key);
    if (known !== undefined) return known;
    const jwks = await this.jwks();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ASYMMETRIC_ALGORITHMS,
        clockTolerance: this.options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch (e) {
      if (e instanceof errors.JWKSTimeout || !(e instanceof errors.JOSEError)) {
        throw new IdentityProviderUnavailable(`cannot fetch the issuer's keys: ${(e as Error).message}`);
      }
      throw new Unauthenticated('invalid bearer token', `bearer token refused: ${e.code}: ${e.message}`);
    }
    const principal = this.principalOf(payload);
    const expiresAt = Math.min((payload.exp ?? 0) * 1000, Date.now() + REMEMBER_AT_MOST_MS);
    this.remembered.set(key, principal, expiresAt);
    return principal;
  }

  private principalOf(payload: JWTPayload): Principal {
    const claim = this.options.principalClaim ?? 'sub';
    const name = payload[claim];
    if (typeof name !== 'string' || name === '') {
      throw new Unauthenticated('invalid bearer token', `bearer token has no string claim "${claim}"`);
    }
    const raw = payload[this.options.groupsClaim ?? 'groups'];
    const groups = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.filter((g) => typeof g === 'string') : [];
    return { name, groups, source: 'oidc' };
  }
}

/**
 * Who is calling, and what a transport hands the access check to find out. The domains never see either.
 */
import type { PeerCertificate } from 'node:tls';

/** How an identity was proved. */
export type IdentitySource = 'oidc' | 'api-token' | 'client-certificate' | 'trusted-proxy';

export interface Principal {
  /** The name policies grant roles to (a token's subject, an API token's account, a certificate's CN...). */
  readonly name: string;
  readonly groups: readonly string[];
  readonly source: IdentitySource;
}

/**
 * What a request carries that may prove an identity, read lazily (most calls need only one of them): gRPC metadata
 * or HTTP headers, the peer's address and its verified TLS client certificate.
 */
export interface RequestCredentials {
  /** A header's (metadata entry's) first value; names are lower-case. */
  header(name: string): string | undefined;
  /** The peer's IP address (no port), as the transport reports it. */
  readonly remoteAddress: string | undefined;
  /** The client certificate the TLS layer verified against custom_ca; undefined without mTLS. */
  peerCertificate(): PeerCertificate | undefined;
}

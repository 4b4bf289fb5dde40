/**
 * mTLS client certificates as identities, for clients that send no tokens (the `ml-metadata` Python package,
 * Kubeflow's Go client). Only a certificate the TLS layer verified against ssl_config.custom_ca gets here (with
 * client_verify the handshake refuses any other). The principal is the subject's CN, or the first SAN of a kind
 * (`email`, `DNS`, `URI`: a SPIFFE id); the subject's OUs are its groups.
 */
import type { PeerCertificate } from 'node:tls';
import type { Principal } from './principal';

export const CERTIFICATE_NAMES = ['cn', 'san-email', 'san-dns', 'san-uri'] as const;
export type CertificateName = (typeof CERTIFICATE_NAMES)[number];

const SAN_PREFIX: Record<Exclude<CertificateName, 'cn'>, string> = {
  'san-email': 'email:',
  'san-dns': 'DNS:',
  'san-uri': 'URI:',
};

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The certificate's principal, or undefined when it carries no name of the configured kind. */
export function certificatePrincipal(cert: PeerCertificate, use: CertificateName): Principal | undefined {
  let name: string | undefined;
  if (use === 'cn') {
    name = first(cert.subject?.CN);
  } else {
    const prefix = SAN_PREFIX[use];
    name = (cert.subjectaltname ?? '')
      .split(/,\s*/)
      .find((s) => s.startsWith(prefix))
      ?.slice(prefix.length);
  }
  if (!name) return undefined;
  return { name, groups: all(cert.subject?.OU), source: 'client-certificate' };
}

/**
 * Server credentials from MLMD's `MetadataStoreServerConfig.ssl_config`.
 *
 * MLMD's semantics, which differ from what the field names suggest: server_key and server_cert hold PEM *contents*
 * (not paths); custom_ca is the set of roots used to verify *client* certificates; client_verify=true makes the
 * server request, require and verify a client certificate (mTLS). Without ssl_config the server is plaintext.
 */
import type * as https from 'node:https';
import { ServerCredentials } from '@grpc/grpc-js';
import type { MetadataStoreServerConfig_SSLConfig } from '../../generated/ml_metadata/proto/metadata_store';

export type SslConfig = MetadataStoreServerConfig_SSLConfig;

export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

/** The checked key material of an ssl_config, shared by the gRPC and the HTTP listener. */
interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  /** Roots that verify client certificates; null: the public roots. */
  ca: Buffer | null;
  clientVerify: boolean;
}

function tlsMaterial(ssl: SslConfig): TlsMaterial {
  const key = ssl.serverKey ?? '';
  const cert = ssl.serverCert ?? '';
  if (key === '' || cert === '') {
    throw new TlsConfigError('ssl_config needs both server_key and server_cert (PEM contents, not file paths)');
  }
  // A common mistake is to put a path here; PEM text always contains a BEGIN line, so say so instead of failing
  // later inside the TLS stack with an opaque message.
  for (const [name, value] of [
    ['server_key', key],
    ['server_cert', cert],
    ['custom_ca', ssl.customCa ?? ''],
  ] as const) {
    if (value !== '' && !value.includes('-----BEGIN')) {
      // A private key pasted without its BEGIN line is still a secret: never quote that field.
      const shown = name === 'server_key' ? '; its value is not shown' : `: ${value.slice(0, 80)}`;
      throw new TlsConfigError(`ssl_config.${name} must hold PEM contents (it looks like a path${shown})`);
    }
  }
  const clientVerify = ssl.clientVerify === true;
  const ca = ssl.customCa ? Buffer.from(ssl.customCa) : null;
  if (clientVerify && ca === null) {
    // Verifying client certificates against the public web roots is never what an mTLS deployment wants.
    throw new TlsConfigError(
      'ssl_config.client_verify is true but custom_ca (the CA that signs client certs) is empty',
    );
  }
  return { key: Buffer.from(key), cert: Buffer.from(cert), ca, clientVerify };
}

export function serverCredentials(ssl: SslConfig | undefined): ServerCredentials {
  if (ssl === undefined) return ServerCredentials.createInsecure();
  const { key, cert, ca, clientVerify } = tlsMaterial(ssl);
  return ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: cert }], clientVerify);
}

/** The same material for node:https, so the HTTP listener is as protected as the gRPC port. */
export function httpsOptions(ssl: SslConfig): https.ServerOptions {
  const { key, cert, ca, clientVerify } = tlsMaterial(ssl);
  return { key, cert, ca: ca ?? undefined, requestCert: clientVerify, rejectUnauthorized: clientVerify };
}

/**
 * What the access check reads of a request (access/principal.ts's RequestCredentials), from each transport: gRPC
 * metadata and grpc-js's auth context, or HTTP headers and the TLS socket. Everything is read lazily: with access
 * control off nothing is read at all.
 */
import type * as http from 'node:http';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Metadata } from '@grpc/grpc-js';
import type { RequestCredentials } from '../access/principal';

/** The address part of grpc-js's peer string (`127.0.0.1:5000`, `[::1]:5000`, `ipv4:...`). */
export function addressOfPeer(peer: string): string | undefined {
  const bare = peer.replace(/^ipv[46]:/, '');
  if (bare.startsWith('[')) return bare.slice(1, bare.indexOf(']'));
  const colon = bare.lastIndexOf(':');
  return colon < 0 ? bare || undefined : bare.slice(0, colon);
}

/** A grpc-js server call's credentials. */
export function grpcCredentials(call: {
  metadata: Metadata;
  getPeer(): string;
  getAuthContext?(): { sslPeerCertificate?: PeerCertificate } | null;
}): RequestCredentials {
  return {
    header(name) {
      const v = call.metadata.get(name)[0];
      return typeof v === 'string' ? v : undefined;
    },
    get remoteAddress() {
      return addressOfPeer(call.getPeer());
    },
    peerCertificate: () => call.getAuthContext?.()?.sslPeerCertificate,
  };
}

/** An HTTP request's credentials. */
export function httpCredentials(req: http.IncomingMessage): RequestCredentials {
  return {
    header(name) {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
    get remoteAddress() {
      return req.socket.remoteAddress;
    },
    peerCertificate() {
      const socket = req.socket as Partial<TLSSocket>;
      return socket.authorized && socket.getPeerCertificate ? socket.getPeerCertificate() : undefined;
    },
  };
}

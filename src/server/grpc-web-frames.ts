/**
 * The gRPC-Web wire format for unary calls, as pure functions (no sockets): which content types are gRPC-Web, the
 * request body (base64 in text mode, then one length-prefixed message frame), and the response body (a message frame,
 * then a trailer frame carrying grpc-status and grpc-message). Every way a body can be malformed ends in a status,
 * never an exception, so the route only moves bytes.
 *
 * Hand-written because every RPC we host is unary (a 5-byte prefix each way and one trailer block), and no maintained
 * Node server library reads `application/grpc-web-text`, which Kubeflow's UI has sent for years (see the README).
 */
import { status as Code } from '@grpc/grpc-js';
import type { StatusObject } from './status';

export type GrpcWebMode = 'binary' | 'text';

/** Frame flag bits of the gRPC-Web spec: the high bit marks the trailer frame, the low bit a compressed payload. */
const TRAILER_FLAG = 0x80;
const COMPRESSED_FLAG = 0x01;
const FRAME_HEADER_BYTES = 5;

/**
 * `application/grpc-web`, `application/grpc-web+proto`, `application/grpc-web-text`, `application/grpc-web-text+proto`
 * (parameters such as `; charset=` ignored). Other subtypes (`+json`, `+thrift`) are not ours to decode: undefined.
 */
export function grpcWebMode(contentType: string | undefined): GrpcWebMode | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/grpc-web' || type === 'application/grpc-web+proto') return 'binary';
  if (type === 'application/grpc-web-text' || type === 'application/grpc-web-text+proto') return 'text';
  return undefined;
}

/** Whether a content type claims to be gRPC-Web at all (including subtypes we refuse). */
export function looksLikeGrpcWeb(contentType: string | undefined): boolean {
  return (contentType ?? '').trim().toLowerCase().startsWith('application/grpc-web');
}

export const RESPONSE_CONTENT_TYPE: Record<GrpcWebMode, string> = {
  binary: 'application/grpc-web+proto',
  text: 'application/grpc-web-text+proto',
};

/** The most body bytes a request whose one message is at most `maxMessage` bytes can need (-1: no limit). */
export function maxRequestBodyBytes(mode: GrpcWebMode, maxMessage: number): number {
  if (maxMessage < 0) return Number.POSITIVE_INFINITY;
  const binary = FRAME_HEADER_BYTES + maxMessage;
  return mode === 'binary' ? binary : Math.ceil(binary / 3) * 4;
}

const malformed = (why: string): StatusObject => ({
  code: Code.INTERNAL,
  details: `malformed gRPC-Web request: ${why}`,
});

/** base64 alphabet value of each ASCII code, -1 elsewhere. */
const BASE64_VALUE = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();
const PAD = 0x3d; // '='

/**
 * Strict base64: groups of four alphabet characters; a group may end in `=` or `==` padding, and then a new padded
 * chunk may follow (the spec lets senders base64 each frame separately). Node's own decoder skips characters it does
 * not know, which would turn garbage into a plausible request.
 */
export function decodeBase64Strict(text: Uint8Array): Buffer | StatusObject {
  if (text.length % 4 !== 0) return malformed(`base64 body of ${text.length} characters is not a multiple of 4`);
  const out = Buffer.allocUnsafe((text.length / 4) * 3);
  let n = 0;
  for (let i = 0; i < text.length; i += 4) {
    const c0 = text[i];
    const c1 = text[i + 1];
    const c2 = text[i + 2];
    const c3 = text[i + 3];
    const v0 = c0 < 128 ? BASE64_VALUE[c0] : -1;
    const v1 = c1 < 128 ? BASE64_VALUE[c1] : -1;
    const v2 = c2 === PAD ? 0 : c2 < 128 ? BASE64_VALUE[c2] : -1;
    const v3 = c3 === PAD ? 0 : c3 < 128 ? BASE64_VALUE[c3] : -1;
    if (v0 < 0 || v1 < 0 || v2 < 0 || v3 < 0 || (c2 === PAD && c3 !== PAD)) {
      return malformed(`invalid base64 at character ${i}`);
    }
    const bits = (v0 << 18) | (v1 << 12) | (v2 << 6) | v3;
    out[n++] = bits >>> 16;
    if (c2 !== PAD) out[n++] = (bits >>> 8) & 0xff;
    if (c3 !== PAD) out[n++] = bits & 0xff;
  }
  return out.subarray(0, n);
}

export function isStatus(x: unknown): x is StatusObject {
  return typeof x === 'object' && x !== null && 'code' in x && 'details' in x;
}

/**
 * The one request message of a unary call, or the status that refuses the body. The codes follow grpc-js for the same
 * fault on native gRPC: a message over the limit is RESOURCE_EXHAUSTED with grpc-js's wording, a missing or second
 * message UNIMPLEMENTED; bytes that are not frames at all are INTERNAL, like a request grpc-js cannot deserialize.
 */
export function decodeRequestBody(
  body: Uint8Array,
  mode: GrpcWebMode,
  maxMessage: number,
  path: string,
): Buffer | StatusObject {
  const decoded = mode === 'text' ? decodeBase64Strict(body) : Buffer.from(body.buffer, body.byteOffset, body.length);
  if (isStatus(decoded)) return decoded;
  let message: Buffer | undefined;
  let offset = 0;
  while (offset < decoded.length) {
    if (decoded.length - offset < FRAME_HEADER_BYTES) {
      return malformed(`${decoded.length - offset} bytes left where a 5-byte frame header should be`);
    }
    const flags = decoded[offset];
    const length = decoded.readUInt32BE(offset + 1);
    if (flags & TRAILER_FLAG) return malformed('a request carries a trailer frame');
    if (flags & ~COMPRESSED_FLAG) return malformed(`reserved frame flags 0x${flags.toString(16)}`);
    if (maxMessage >= 0 && length > maxMessage) {
      return {
        code: Code.RESOURCE_EXHAUSTED,
        details: `Received message larger than max (${length} vs ${maxMessage})`,
      };
    }
    const available = decoded.length - offset - FRAME_HEADER_BYTES;
    if (length > available) return malformed(`a frame declares ${length} bytes but ${available} follow`);
    if (flags & COMPRESSED_FLAG) {
      return { code: Code.UNIMPLEMENTED, details: 'compressed gRPC-Web messages are not supported' };
    }
    if (message !== undefined) {
      return { code: Code.UNIMPLEMENTED, details: `Received a second request message for unary method ${path}` };
    }
    message = decoded.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
    offset += FRAME_HEADER_BYTES + length;
  }
  return message ?? { code: Code.UNIMPLEMENTED, details: `Received no request message for unary method ${path}` };
}

/** Reads the 5-byte header at the start of a (possibly partial) body: the declared message length, if any. */
export function declaredLength(bodyStart: Uint8Array, mode: GrpcWebMode): number | undefined {
  const head = mode === 'text' ? decodeBase64Strict(bodyStart.subarray(0, 8)) : Buffer.from(bodyStart);
  if (isStatus(head) || head.length < FRAME_HEADER_BYTES) return undefined;
  return head.readUInt32BE(1);
}

function frame(flags: number, payload: Uint8Array): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header[0] = flags;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/**
 * grpc-message is percent-encoded as on HTTP/2 (gRPC's PROTOCOL-HTTP2: every byte outside 0x20-0x7E, and '%'), so
 * any UTF-8 text survives the header-block syntax of the trailer frame; grpc-web's runtime decodes it.
 */
export function percentEncode(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The trailer frame: grpc-status, and grpc-message when the call failed. */
export function trailerFrame(status: StatusObject): Buffer {
  let block = `grpc-status:${status.code}\r\n`;
  if (status.code !== Code.OK) block += `grpc-message:${percentEncode(status.details)}\r\n`;
  return frame(TRAILER_FLAG, Buffer.from(block, 'latin1'));
}

/**
 * A whole unary response body: the message frame (on success) and the trailer frame. Text mode base64-encodes the
 * body as one string, so a client never has to join padded chunks.
 */
export function encodeResponseBody(mode: GrpcWebMode, message: Uint8Array | undefined, status: StatusObject): Buffer {
  const parts = message === undefined ? [] : [frame(0, message)];
  parts.push(trailerFrame(status));
  const binary = Buffer.concat(parts);
  return mode === 'binary' ? binary : Buffer.from(binary.toString('base64'), 'latin1');
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** `grpc-timeout` (1-8 digits and a unit, gRPC's syntax) in milliseconds; undefined when absent, a status when bad. */
export function parseTimeout(header: string | undefined): number | undefined | StatusObject {
  if (header === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(header.trim());
  if (!m) return { code: Code.INTERNAL, details: `Invalid grpc-timeout value "${header}"` };
  return Number(m[1]) * TIMEOUT_UNIT_MS[m[2]];
}

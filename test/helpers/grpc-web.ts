/**
 * A gRPC-Web client for tests that look at the wire: builds request bodies (binary or base64 text) by hand and takes
 * responses apart frame by frame, so a test can send what no well-behaved client would and check every byte back.
 */
export type Mode = 'binary' | 'text';

export const CONTENT_TYPE: Record<Mode, string> = {
  binary: 'application/grpc-web+proto',
  text: 'application/grpc-web-text',
};

/** One length-prefixed frame (flags byte, 4-byte big-endian length, payload). */
export function frame(payload: Uint8Array, flags = 0, declaredLength = payload.length): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flags;
  header.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
}

export interface GrpcWebReply {
  httpStatus: number;
  contentType: string;
  headers: Headers;
  /** The message frame's payload, when there was one. */
  message?: Buffer;
  /** Trailer frame entries (lower-case names), e.g. grpc-status. */
  trailers: Record<string, string>;
  /** grpc-status as a number (NaN when absent). */
  code: number;
  /** grpc-message, percent-decoded. */
  details: string;
  /** The raw body as sent (text mode: still base64). */
  body: Buffer;
}

/** Splits a decoded gRPC-Web response body into its message and trailers; throws on anything malformed. */
export function parseResponseBody(bytes: Buffer): { message?: Buffer; trailers: Record<string, string> } {
  let message: Buffer | undefined;
  let trailers: Record<string, string> | undefined;
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 5) throw new Error(`truncated frame header at ${offset}`);
    const flags = bytes[offset];
    const length = bytes.readUInt32BE(offset + 1);
    const payload = bytes.subarray(offset + 5, offset + 5 + length);
    if (payload.length !== length) throw new Error(`truncated frame at ${offset}`);
    if (trailers) throw new Error('a frame after the trailer frame');
    if (flags === 0x80) {
      trailers = {};
      for (const line of payload.toString('latin1').split('\r\n')) {
        if (line === '') continue;
        const colon = line.indexOf(':');
        trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    } else if (flags === 0) {
      if (message) throw new Error('two message frames in a unary response');
      message = payload;
    } else throw new Error(`unexpected frame flags ${flags}`);
    offset += 5 + length;
  }
  if (!trailers) throw new Error('no trailer frame');
  return { message, trailers };
}

/** POSTs a gRPC-Web body (already framed; base64-encoded here in text mode unless `raw`) and parses the answer. */
export async function grpcWebPost(
  base: string,
  path: string,
  body: Buffer | string,
  opts: { mode?: Mode; contentType?: string; headers?: Record<string, string>; raw?: boolean } = {},
): Promise<GrpcWebReply> {
  const mode = opts.mode ?? 'binary';
  const payload = typeof body === 'string' || opts.raw || mode === 'binary' ? body : body.toString('base64');
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': opts.contentType ?? CONTENT_TYPE[mode], ...opts.headers },
    body: payload,
  });
  const raw = Buffer.from(await res.arrayBuffer());
  const contentType = res.headers.get('content-type') ?? '';
  if (res.status !== 200 || !contentType.startsWith('application/grpc-web')) {
    return {
      httpStatus: res.status,
      contentType,
      headers: res.headers,
      trailers: {},
      code: NaN,
      details: '',
      body: raw,
    };
  }
  const decoded = contentType.startsWith('application/grpc-web-text')
    ? Buffer.from(raw.toString('latin1'), 'base64')
    : raw;
  const { message, trailers } = parseResponseBody(decoded);
  return {
    httpStatus: res.status,
    contentType,
    headers: res.headers,
    message,
    trailers,
    code: Number(trailers['grpc-status']),
    details: decodeURIComponent(trailers['grpc-message'] ?? ''),
    body: raw,
  };
}

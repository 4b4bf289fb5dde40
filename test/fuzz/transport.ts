/**
 * Calls with raw request bytes over real gRPC (grpc-js, identity serializers): unary, server-streaming (read the
 * first message, then cancel) and bidi-streaming (write the messages, half-close, read until the status). And
 * requests grpc-js never sends, written directly on an HTTP/2 stream: gRPC frames whose length prefix lies, is huge,
 * or is cut short.
 */
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';

export interface CallOutcome {
  code: grpc.status;
  details: string;
  /** The response bytes of a successful unary call. */
  reply?: Buffer;
}

const identity = (b: Buffer) => b;

export class RawClient {
  readonly client: grpc.Client;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  unary(path: string, body: Uint8Array, deadlineMs: number): Promise<CallOutcome> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        path,
        identity,
        identity,
        Buffer.from(body),
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        (error, reply) =>
          resolve(
            error
              ? { code: error.code, details: error.details }
              : { code: grpc.status.OK, details: '', reply: reply as Buffer },
          ),
      );
    });
  }

  /** A server stream: the first message (or the status) decides; then the client cancels. */
  serverStream(path: string, body: Uint8Array, deadlineMs: number): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const call = this.client.makeServerStreamRequest(
        path,
        identity,
        identity,
        Buffer.from(body),
        new grpc.Metadata(),
        {
          deadline: Date.now() + deadlineMs,
        },
      );
      let done = false;
      const finish = (o: CallOutcome) => {
        if (!done) resolve(o);
        done = true;
      };
      call.on('data', () => {
        finish({ code: grpc.status.OK, details: 'first message' });
        call.cancel();
      });
      call.on('error', (e: grpc.ServiceError) => finish({ code: e.code, details: e.details }));
      call.on('status', (s: grpc.StatusObject) => finish({ code: s.code, details: s.details }));
    });
  }

  bidi(path: string, messages: Uint8Array[], deadlineMs: number): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const call = this.client.makeBidiStreamRequest(path, identity, identity, new grpc.Metadata(), {
        deadline: Date.now() + deadlineMs,
      });
      let done = false;
      const finish = (o: CallOutcome) => {
        if (!done) resolve(o);
        done = true;
      };
      call.on('data', () => undefined);
      call.on('error', (e: grpc.ServiceError) => finish({ code: e.code, details: e.details }));
      call.on('status', (s: grpc.StatusObject) => finish({ code: s.code, details: s.details }));
      for (const m of messages) call.write(Buffer.from(m));
      call.end();
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * One gRPC request whose frame is written by hand: `frame` is everything after the HTTP/2 headers. For a
 * server-streaming method (`streaming`), a first response message is an answer too.
 */
export function rawHttp2(
  address: string,
  path: string,
  frame: Uint8Array,
  deadlineMs: number,
  streaming = false,
): Promise<CallOutcome> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${address}`);
    let done = false;
    const timer = setTimeout(() => finish({ code: grpc.status.DEADLINE_EXCEEDED, details: 'no answer' }), deadlineMs);
    const finish = (o: CallOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    session.on('error', (e) => finish({ code: grpc.status.UNAVAILABLE, details: `session: ${e.message}` }));
    const req = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let headerStatus: string | undefined;
    req.on('response', (headers) => {
      headerStatus = headers['grpc-status'] as string | undefined;
    });
    req.on('trailers', (trailers) => {
      finish({
        code: Number(trailers['grpc-status'] ?? headerStatus ?? grpc.status.UNKNOWN),
        details: decodeURIComponent(String(trailers['grpc-message'] ?? '')),
      });
    });
    req.on('data', () => {
      if (streaming) finish({ code: grpc.status.OK, details: 'first message' });
    });
    req.on('end', () => {
      if (headerStatus !== undefined) finish({ code: Number(headerStatus), details: 'trailers-only' });
      else finish({ code: grpc.status.UNKNOWN, details: 'stream ended without a status' });
    });
    req.on('error', (e) => finish({ code: grpc.status.UNAVAILABLE, details: `stream: ${e.message}` }));
    req.end(Buffer.from(frame));
  });
}

/** A gRPC message frame: compressed flag, declared length (may lie), then the bytes. */
export function grpcFrame(body: Uint8Array, declaredLength = body.length, compressed = 0): Uint8Array {
  const head = Buffer.alloc(5);
  head.writeUInt8(compressed, 0);
  head.writeUInt32BE(declaredLength >>> 0, 1);
  return Buffer.concat([head, Buffer.from(body)]);
}

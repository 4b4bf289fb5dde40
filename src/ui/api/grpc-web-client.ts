/**
 * The UI's only way to the server: gRPC-Web through the `grpc-web` runtime (the client library Kubeflow's UI uses),
 * driven by the generated ts-proto method tables, the same ones the server and the SDK use. A client is one promise
 * per RPC, typed from the service definition, so a renamed field is a compile error here too.
 */
import { GrpcWebClientBase, MethodDescriptor, RpcError } from 'grpc-web';

/** The part of a generated grpc-js service definition a gRPC-Web client needs. */
interface MethodSpec {
  readonly path: string;
  readonly requestSerialize: (request: never) => Uint8Array;
  readonly responseDeserialize: (bytes: Buffer) => unknown;
}
type ServiceSpec = Record<string, MethodSpec>;

type RequestOf<M> = M extends { requestSerialize: (request: infer R) => unknown } ? R : never;
type ResponseOf<M> = M extends { responseDeserialize: (bytes: Buffer) => infer R } ? R : never;

/** One promise per RPC, lower-camel names as ts-proto generates them. */
export type ServiceClient<D extends ServiceSpec> = {
  [K in keyof D]: (request: RequestOf<D[K]>) => Promise<ResponseOf<D[K]>>;
};

/** A failed call: the gRPC status code and message as the server sent them (or 14 when it cannot be reached). */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly method: string,
  ) {
    super(message);
    this.name = 'RpcFailure';
  }

  /** No answer from the server at all (down, restarting, wrong address). */
  get unreachable(): boolean {
    return this.code === UNAVAILABLE;
  }
}

export const UNAVAILABLE = 14;
export const INVALID_ARGUMENT = 3;
export const NOT_FOUND = 5;

export interface ClientOptions {
  /** Origin (scheme://host:port) of the server; '' is the page's own origin. */
  host: string;
  /** 'binary' (application/grpc-web+proto) or 'text' (application/grpc-web-text, base64). */
  format?: 'binary' | 'text';
  /** Per-call deadline in milliseconds (sent as grpc-timeout). */
  deadlineMs?: number;
}

export function serviceClient<D extends ServiceSpec>(definition: D, options: ClientOptions): ServiceClient<D> {
  const base = new GrpcWebClientBase({ format: options.format ?? 'binary' });
  const client = {} as Record<string, (request: unknown) => Promise<unknown>>;
  for (const [name, spec] of Object.entries(definition)) {
    const descriptor = new MethodDescriptor(
      spec.path,
      'unary',
      Object as never, // grpc-web only calls the two functions below; the constructors are for its own codegen
      Object as never,
      (request: unknown) => spec.requestSerialize(request as never),
      (bytes: Uint8Array) => spec.responseDeserialize(bytes as Buffer),
    );
    client[name] = async (request: unknown) => {
      const metadata: Record<string, string> = {};
      if (options.deadlineMs !== undefined) metadata.deadline = String(Date.now() + options.deadlineMs);
      try {
        return await base.thenableCall(options.host + spec.path, request, metadata, descriptor);
      } catch (e) {
        if (e instanceof RpcError) throw new RpcFailure(e.code, e.message, spec.path);
        throw new RpcFailure(UNAVAILABLE, e instanceof Error ? e.message : String(e), spec.path);
      }
    };
  }
  return client as ServiceClient<D>;
}

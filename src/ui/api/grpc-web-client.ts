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

/** A failed call: the gRPC status code and message the server sent, or UNAVAILABLE when no answer came at all. */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly method: string,
    /** No gRPC-Web answer at all (server down, restarting, wrong address), as opposed to a status it sent. */
    readonly unreachable = false,
  ) {
    super(message);
    this.name = 'RpcFailure';
  }
}

export const UNAVAILABLE = 14;
export const INVALID_ARGUMENT = 3;
export const NOT_FOUND = 5;

export interface ClientOptions {
  /** Origin (scheme://host:port) of the server, or a path prefix on the page's own origin ('' : none). */
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
        // grpc-web reports a request that got no gRPC-Web answer as UNAVAILABLE with "[object Object]" (no
        // response) or "Http response at 400 or 500 level" (something else answered); a status the server sent in
        // its trailers, UNAVAILABLE included, keeps its own message.
        const message = e instanceof Error ? e.message : String(e);
        const noAnswer =
          !(e instanceof RpcError) ||
          (e.code === UNAVAILABLE && (message === '[object Object]' || message.startsWith('Http response at')));
        if (!noAnswer) throw new RpcFailure((e as RpcError).code, message, spec.path);
        const why = message === '[object Object]' || message === '' ? 'network error' : message;
        throw new RpcFailure(
          UNAVAILABLE,
          `no answer from ${options.host || location.origin} (${why})`,
          spec.path,
          true,
        );
      }
    };
  }
  return client as ServiceClient<D>;
}

/**
 * Watching calls without touching what they do: an observer (metrics, the access log) is told when a call starts
 * and how it ended. `observeService` wraps a registration's protocol-free method table once, so every protocol that
 * calls `registration.methods` (gRPC, gRPC-Web, the REST API) is observed by the same code, and the grpc-js handlers
 * are rebuilt over the wrapped table.
 */
import type { status as GrpcStatus } from '@grpc/grpc-js';
import type { HttpExchange } from './http';
import {
  encodeResponse,
  grpcImplementation,
  requestSize,
  type CallContext,
  type ServiceRegistration,
  type UnaryMethod,
} from './services';
import { toGrpcStatus } from './status';

export interface CallStart {
  /** Fully qualified, as on the wire (`ml_metadata.MetadataStoreService`). */
  service: string;
  /** As on the wire (`PutArtifactType`). */
  method: string;
  context?: CallContext;
}

export interface CallEnd {
  code: GrpcStatus;
  /** Seconds from the call reaching its method to its outcome. */
  seconds: number;
  /** Encoded request and response sizes, when known (responses only for observers that ask for sizes). */
  requestBytes?: number;
  responseBytes?: number;
}

export interface CallObserver {
  /** A call starts; the returned function is called exactly once, with its outcome. */
  callStarted(call: CallStart): (end: CallEnd) => void;
  /** Whether `CallEnd.responseBytes` is wanted: measuring costs encoding the response here instead of in grpc-js. */
  readonly wantsSizes?: boolean;
  /** An HTTP request was answered (routes of the HTTP listener that are not RPCs: health, static files...). */
  httpExchange?(exchange: HttpExchange): void;
}

/** Several observers as one. */
export function combineObservers(observers: readonly CallObserver[]): CallObserver | undefined {
  if (observers.length <= 1) return observers[0];
  return {
    wantsSizes: observers.some((o) => o.wantsSizes),
    callStarted(call) {
      const ends = observers.map((o) => o.callStarted(call));
      return (end) => {
        for (const e of ends) e(end);
      };
    },
    httpExchange(exchange) {
      for (const o of observers) o.httpExchange?.(exchange);
    },
  };
}

const OK = 0 as GrpcStatus;

/** The registration with every method observed (the grpc-js handlers call the observed methods). */
export function observeService(registration: ServiceRegistration, observer: CallObserver): ServiceRegistration {
  const methods = registration.methods.map((method): UnaryMethod => {
    // The RPC as the wire names it: /ml_metadata.MetadataStoreService/PutArtifactType -> PutArtifactType.
    const rpc = method.path.slice(method.path.lastIndexOf('/') + 1);
    return {
      ...method,
      call: async (request, context) => {
        const end = observer.callStarted({ service: registration.name, method: rpc, context });
        const t0 = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
        let response: unknown;
        try {
          response = await method.call(request, context);
        } catch (error) {
          end({ code: toGrpcStatus(error).code, seconds: seconds(), requestBytes: requestSize(request) });
          throw error;
        }
        const elapsed = seconds();
        let responseBytes: number | undefined;
        if (observer.wantsSizes) {
          try {
            responseBytes = encodeResponse(method, response);
          } catch {
            // Left to the protocol, which answers INTERNAL for a response it cannot encode.
          }
        }
        end({ code: OK, seconds: elapsed, requestBytes: requestSize(request), responseBytes });
        return response;
      },
    };
  });
  return { ...registration, methods, implementation: grpcImplementation(registration.definition, methods) };
}

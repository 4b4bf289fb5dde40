/**
 * What the server hosts, described uniformly so that another API is added by appending one registration. A
 * registration holds each method once, protocol-free (`methods`: path, strict decoder, encoder, the domain's async
 * function), and the grpc-js handlers built from exactly those; gRPC-Web (grpc-web.ts) is built from the same
 * `methods`, so both protocols call the same function with the same decoding and the same status mapping. Observers
 * (metrics, the access log: observe.ts) wrap `methods` once, so every protocol is counted alike.
 */
import type { MethodDefinition, ServiceDefinition, UntypedServiceImplementation, handleUnaryCall } from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';
import type { Principal, RequestCredentials } from '../access/principal';
import type { AccessClass } from '../access/roles';
import type { MlmdError } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import { grpcCredentials } from './request-credentials';
import { requestStringChecker } from './request-strings';
import { tenantInMetadata } from './tenant-request';
import { toServiceError } from './status';

/** What a protocol adapter knows of a call, for observers and the access check. */
export interface CallContext {
  /** `grpc`, `grpc-web`, `http`... */
  readonly protocol: string;
  /** The client's address as the transport reports it. */
  readonly peer?: string;
  /** What the request carries to prove who sends it (read by the access check only). */
  readonly credentials?: RequestCredentials;
  /**
   * The tenant: as the request names it (gRPC metadata or HTTP header `x-cmf-tenant`, or an HTTP `/t/<tenant>/`
   * prefix: tenant-request.ts; unchecked, undefined when it names none), and, in the context the access guard hands
   * to the method, the tenant the call was allowed for. tenants.ts decides where the call then goes.
   */
  readonly tenant?: string;
  /** Who calls, once the access guard has allowed the call (undefined with access control off). */
  readonly principal?: Principal;
  /**
   * The class the access guard allowed this call for. A REST route that calls the RPC method it wraps hands that
   * method the allowed context: a method of this class or a lesser one is then not checked, nor audited, twice.
   */
  readonly granted?: AccessClass;
}

/**
 * Runs `use` with the API a call reaches and holds that API for the call's duration: one fixed object, or the API
 * of the call's tenant (tenants.ts). A refusal (unknown tenant) is the call's failure.
 */
export type ApiScope<A> = <R>(context: CallContext | undefined, use: (api: A) => Promise<R>) => Promise<R>;

/** The scope of a server with one store: every call reaches `api`. */
export function fixedScope<A>(api: A): ApiScope<A> {
  return (_context, use) => use(api);
}

/** One unary method, independent of the protocol that carries it. */
export interface UnaryMethod {
  /** `/package.Service/Method`, the path of both gRPC and gRPC-Web. */
  readonly path: string;
  /** Decodes request bytes, after the well-formedness check (throws on malformed bytes). */
  readonly requestDeserialize: (bytes: Buffer) => unknown;
  readonly responseSerialize: (response: unknown) => Buffer;
  /** The domain's function; a rejection becomes a status through status.ts. `context` is for observers only. */
  readonly call: (request: unknown, context?: CallContext) => Promise<unknown>;
}

export interface ServiceRegistration {
  /** Fully qualified service name; also the name its health status is published under. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
  /** Every method of `definition`, protocol-free; `implementation` wraps exactly these. */
  methods: readonly UnaryMethod[];
}

/**
 * What `strictRequests` decodes a request into when the request must be answered with an error status of its own
 * rather than a decoding failure's INTERNAL (invalid UTF-8: INVALID_ARGUMENT naming the field). Every protocol's
 * call (`UnaryMethod.call`, built by bindService) answers it with that error instead of calling the domain.
 */
export class RejectedRequest {
  constructor(readonly error: MlmdError) {}
}

/** A unary handler around an async function; every failure goes through the single status mapping. */
export function unaryHandler<Req, Res>(
  fn: (request: Req, context: CallContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    // The peer and the credentials are read only if an observer or the access check asks for them.
    const context: CallContext = {
      protocol: 'grpc',
      get peer() {
        return call.getPeer();
      },
      credentials: grpcCredentials(call),
      get tenant() {
        return tenantInMetadata(call.metadata);
      },
    };
    // Promise.resolve().then also catches a handler that throws synchronously instead of rejecting.
    Promise.resolve()
      .then(() => fn(call.request, context))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error)),
      );
  };
}

/** grpc-js handlers (keyed like `definition`) calling the method of the same path. */
export function grpcImplementation(
  definition: ServiceDefinition,
  methods: readonly UnaryMethod[],
): UntypedServiceImplementation {
  const byPath = new Map(methods.map((m) => [m.path, m]));
  const implementation: UntypedServiceImplementation = {};
  for (const [key, spec] of Object.entries(definition)) {
    const method = byPath.get(spec.path);
    if (method) implementation[key] = unaryHandler((request, context) => method.call(request, context));
  }
  return implementation;
}

/**
 * A registration's methods as an object keyed like the domain's table it was bound from (`mergeMetadata`, ...), each
 * calling the registration's method with the caller's context: how a protocol that does not frame calls as gRPC (the
 * REST routes) reaches the very methods gRPC and gRPC-Web call, observers included.
 */
export function methodTable<Api>(registration: ServiceRegistration): (context: CallContext) => Api {
  const byPath = new Map(registration.methods.map((m) => [m.path, m]));
  const entries = Object.entries(registration.definition).flatMap(([key, spec]) => {
    const method = byPath.get(spec.path);
    return method ? [[key, method] as const] : [];
  });
  return (context) =>
    Object.fromEntries(
      entries.map(([key, method]) => [key, (request: unknown) => method.call(request, context)]),
    ) as Api;
}

/**
 * ts-proto's decoder stops quietly at an end-group tag or tag 0 and returns what it has, so garbage could be read as
 * an empty request (GetArtifacts would then list everything). Before decoding, walk the top-level fields: every tag
 * must be valid and every field must end inside the message, to its last byte.
 */
export function checkWellFormed(bytes: Uint8Array): void {
  const reader = new BinaryReader(bytes);
  try {
    while (reader.pos < bytes.length) {
      const tag = reader.uint32();
      const wireType = tag & 7;
      if (tag >>> 3 === 0 || wireType === 4 || wireType > 5) throw new Error(`invalid tag ${tag}`);
      reader.skip(wireType, tag >>> 3);
    }
  } catch (e) {
    throw new Error(`malformed request: ${(e as Error).message}`);
  }
  if (reader.pos !== bytes.length) throw new Error('malformed request: a field runs past the end of the message');
}

/**
 * Encoded sizes, for observers that report bytes (the access log): the strict decoder notes each decoded request's
 * size; a response an observer has already encoded (to measure it) is handed to the protocol as those bytes rather
 * than encoded twice. Weak maps: an entry lives as long as its message.
 */
const requestSizes = new WeakMap<object, number>();
const encodedResponses = new WeakMap<object, Buffer>();

/** The wire size of a request decoded by a strict definition (undefined for one decoded elsewhere). */
export function requestSize(request: unknown): number | undefined {
  return typeof request === 'object' && request !== null ? requestSizes.get(request) : undefined;
}

/** Encodes a response with its method's encoder and keeps the bytes for the protocol; returns the size. */
export function encodeResponse(method: UnaryMethod, response: unknown): number {
  const bytes = method.responseSerialize(response);
  if (typeof response === 'object' && response !== null) encodedResponses.set(response, bytes);
  return bytes.length;
}

/**
 * The service definition with every request checked before it is decoded: well-formed (checkWellFormed), and every
 * string field valid UTF-8 (request-strings.ts; a request that is not decodes into a RejectedRequest).
 */
export function strictRequests(definition: ServiceDefinition): ServiceDefinition {
  const strings = requestStringChecker();
  const strict: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    strict[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        checkWellFormed(bytes);
        const invalid = strings.check(method.path, bytes);
        if (invalid) return new RejectedRequest(invalid);
        const request = method.requestDeserialize(bytes);
        if (typeof request === 'object' && request !== null) requestSizes.set(request, bytes.length);
        return request;
      },
      responseSerialize: (response: unknown) => {
        if (typeof response === 'object' && response !== null) {
          const bytes = encodedResponses.get(response);
          if (bytes !== undefined) {
            encodedResponses.delete(response);
            return bytes;
          }
        }
        return method.responseSerialize(response);
      },
    };
  }
  return strict as ServiceDefinition;
}

export const MLMD_SERVICE_NAME = 'ml_metadata.MetadataStoreService';

/**
 * A service whose every method is bound to the async function of the same key in the API its scope gives each call
 * (the domain's table, whose request/response types are derived from the same definition; the loop erases them, so
 * they are widened once here). Requests are checked for well-formedness before decoding.
 */
export function bindService<A extends object>(
  name: string,
  definition: ServiceDefinition,
  api: A | ApiScope<A>,
): ServiceRegistration {
  const scope = typeof api === 'function' ? api : fixedScope(api);
  const strict = strictRequests(definition);
  const methods: UnaryMethod[] = [];
  for (const [method, spec] of Object.entries(strict)) {
    const run = (a: A, request: unknown) =>
      (a as Record<string, (request: unknown) => Promise<unknown>>)[method].call(a, request);
    methods.push({
      path: spec.path,
      requestDeserialize: spec.requestDeserialize,
      responseSerialize: spec.responseSerialize,
      call: (request, context) =>
        request instanceof RejectedRequest ? Promise.reject(request.error) : scope(context, (a) => run(a, request)),
    });
  }
  return { name, definition: strict, implementation: grpcImplementation(strict, methods), methods };
}

/** Every MetadataStoreService method, bound to the MLMD domain (of the call's tenant, given a scope). */
export function mlmdServiceRegistration(api: MlmdApi | ApiScope<MlmdApi>): ServiceRegistration {
  return bindService(MLMD_SERVICE_NAME, MetadataStoreServiceService, api);
}

/**
 * What the server hosts, described uniformly so that another API (e.g. a future cmf.v1.CmfService) is added by
 * appending one registration: the grpc-js definition and handlers (reflection serves every compiled .proto).
 */
import type { MethodDefinition, ServiceDefinition, UntypedServiceImplementation, handleUnaryCall } from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';
import type { MlmdError } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import { requestStringChecker } from './request-strings';
import { toServiceError } from './status';

export interface ServiceRegistration {
  /** Fully qualified service name; also the name its health status is published under. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/**
 * What `strictRequests` decodes a request into when the request must be answered with an error status of its own
 * rather than grpc-js's INTERNAL for a decoding failure (invalid UTF-8: INVALID_ARGUMENT naming the field).
 */
export class RejectedRequest {
  constructor(readonly error: MlmdError) {}
}

/** A unary handler around an async function; every failure goes through the single status mapping. */
export function unaryHandler<Req, Res>(fn: (request: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const request: unknown = call.request;
    if (request instanceof RejectedRequest) {
      callback(toServiceError(request.error));
      return;
    }
    // Promise.resolve().then also catches a handler that throws synchronously instead of rejecting.
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error)),
      );
  };
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
        return method.requestDeserialize(bytes);
      },
    };
  }
  return strict as ServiceDefinition;
}

export const MLMD_SERVICE_NAME = 'ml_metadata.MetadataStoreService';

/**
 * A service whose every method is bound to the async function of the same key in `api` (the domain's table, whose
 * request/response types are derived from the same definition; the loop erases them, so they are widened once here).
 * Requests are checked for well-formedness before decoding.
 */
export function bindService(name: string, definition: ServiceDefinition, api: object): ServiceRegistration {
  const implementation: UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    const fn = (api as Record<string, (request: unknown) => Promise<unknown>>)[method];
    implementation[method] = unaryHandler((request: unknown) => fn.call(api, request));
  }
  return { name, definition: strictRequests(definition), implementation };
}

/** Every MetadataStoreService method, bound to the MLMD domain. */
export function mlmdServiceRegistration(api: MlmdApi): ServiceRegistration {
  return bindService(MLMD_SERVICE_NAME, MetadataStoreServiceService, api);
}

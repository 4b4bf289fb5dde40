/**
 * What the server hosts, described uniformly so that another API (e.g. a future cmf.v1.CmfService) is added by
 * appending one registration: the grpc-js definition and handlers, plus the .proto that reflection describes.
 */
import type { ServiceDefinition, UntypedServiceImplementation, handleUnaryCall } from '@grpc/grpc-js';
import { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';
import type { MlmdApi, MlmdRpcName } from '../mlmd/api';
import { MLMD_SERVICE_PROTO, type ProtoSource } from './protos';
import { toServiceError } from './status';

export interface ServiceRegistration {
  /** Fully qualified service name; also the name its health status is published under. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
  /** The .proto declaring the service, loaded for server reflection. */
  proto: ProtoSource;
}

/** A unary handler around an async function; every failure goes through the single status mapping. */
export function unaryHandler<Req, Res>(fn: (request: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    // Promise.resolve().then also catches a handler that throws synchronously instead of rejecting.
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error)),
      );
  };
}

export const MLMD_SERVICE_NAME = 'ml_metadata.MetadataStoreService';

/** Every MetadataStoreService method, bound generically to the domain function of the same key. */
export function mlmdServiceRegistration(api: MlmdApi): ServiceRegistration {
  const implementation: UntypedServiceImplementation = {};
  for (const name of Object.keys(MetadataStoreServiceService) as MlmdRpcName[]) {
    // The per-method request/response types line up by construction (MlmdApi is derived from the same
    // definition); the loop erases them, so widen once here rather than at every call site.
    const method = api[name] as (request: unknown) => Promise<unknown>;
    implementation[name] = unaryHandler((request: unknown) => method.call(api, request));
  }
  return {
    name: MLMD_SERVICE_NAME,
    definition: MetadataStoreServiceService,
    implementation,
    proto: MLMD_SERVICE_PROTO,
  };
}

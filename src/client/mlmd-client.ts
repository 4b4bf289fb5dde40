/**
 * A promise-based client for ml_metadata.MetadataStoreService over grpc-js.
 *
 * Every RPC of the service is a method with the generated lower-camel name; it takes the request message (all
 * fields optional, `undefined` = absent, int64 as bigint) and resolves with the response message. The method table
 * is derived from the generated service definition, so a new RPC in the .proto appears here after `npm run gen`
 * without any hand-written code. A failed call rejects with an MlmdClientError carrying the gRPC status code and
 * the server's details text (which is MLMD's status message).
 *
 * This module imports only grpc-js and the generated code: the SDK never depends on server internals.
 */
import {
  MetadataStoreServiceClient,
  MetadataStoreServiceService,
} from '../../generated/ml_metadata/proto/metadata_store_service';

import {
  DEFAULT_CLIENT_MAX_MESSAGE_BYTES,
  installRpcMethods,
  MlmdClientError,
  statusName,
  UnaryClient,
  type ClientOptions,
  type Decoded,
  type MlmdCallOptions,
} from './unary-client';

export { DEFAULT_CLIENT_MAX_MESSAGE_BYTES, MlmdClientError, statusName, type Decoded, type MlmdCallOptions };
export type MlmdClientOptions = ClientOptions;

type ServiceDefinition = typeof MetadataStoreServiceService;

/** Lower-camel name of every RPC, e.g. `putArtifacts`. */
export type MlmdMethodName = keyof ServiceDefinition & string;
export type MlmdRequest<K extends MlmdMethodName> = Parameters<ServiceDefinition[K]['requestSerialize']>[0];
export type MlmdResponse<K extends MlmdMethodName> = Decoded<ReturnType<ServiceDefinition[K]['responseDeserialize']>>;

/** The typed RPC surface: one async method per RPC of MetadataStoreService. */
export type MlmdMethods = {
  [K in MlmdMethodName]: (request?: MlmdRequest<K>, options?: MlmdCallOptions) => Promise<MlmdResponse<K>>;
};

export const MLMD_METHOD_NAMES: readonly MlmdMethodName[] = Object.keys(
  MetadataStoreServiceService,
) as MlmdMethodName[];

// The class and this interface merge: the methods are installed on the prototype from the service definition.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface MlmdClient extends MlmdMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class MlmdClient extends UnaryClient {
  constructor(address: string, options: MlmdClientOptions = {}) {
    super(address, MetadataStoreServiceClient, options);
  }

  /** Calls an RPC by name; the typed per-RPC methods are thin wrappers around this. */
  call<K extends MlmdMethodName>(
    method: K,
    request?: MlmdRequest<K>,
    options?: MlmdCallOptions,
  ): Promise<MlmdResponse<K>> {
    return this.invoke(method, request, options);
  }
}

installRpcMethods(MlmdClient.prototype, MLMD_METHOD_NAMES);

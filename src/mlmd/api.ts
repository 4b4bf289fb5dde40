/**
 * The MLMD domain's public surface: one async function per RPC of ml_metadata.MetadataStoreService, keyed by the
 * lower-camel method name ts-proto uses. Types are derived from the generated service definition (type-only import,
 * so the domain never loads grpc-js).
 */
import type { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';

type Methods = typeof MetadataStoreServiceService;
export type MlmdRpcName = keyof Methods;
export type RequestOf<K extends MlmdRpcName> = ReturnType<Methods[K]['requestDeserialize']>;
export type ResponseOf<K extends MlmdRpcName> = ReturnType<Methods[K]['responseDeserialize']>;

export type MlmdApi = { [K in MlmdRpcName]: (request: RequestOf<K>) => Promise<ResponseOf<K>> };

/**
 * A promise-based client for cmf.v1.CmfService over grpc-js: one method per RPC with the generated lower-camel
 * name, request and response messages as generated (int64 as bigint). Failures reject with MlmdClientError (the
 * gRPC status code and the server's message), as the MLMD client's do.
 */
import { CmfServiceClient, CmfServiceService } from '../../generated/cmf/v1/cmf_service';
import { installRpcMethods, UnaryClient, type ClientOptions, type Decoded, type MlmdCallOptions } from './unary-client';

type ServiceDefinition = typeof CmfServiceService;
export type CmfMethodName = keyof ServiceDefinition & string;
export type CmfRequest<K extends CmfMethodName> = Parameters<ServiceDefinition[K]['requestSerialize']>[0];
export type CmfResponse<K extends CmfMethodName> = Decoded<ReturnType<ServiceDefinition[K]['responseDeserialize']>>;
export type CmfMethods = {
  [K in CmfMethodName]: (request?: CmfRequest<K>, options?: MlmdCallOptions) => Promise<CmfResponse<K>>;
};

export type CmfClientOptions = ClientOptions;

export const CMF_METHOD_NAMES: readonly CmfMethodName[] = Object.keys(CmfServiceService) as CmfMethodName[];

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface CmfClient extends CmfMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class CmfClient extends UnaryClient {
  constructor(address: string, options: CmfClientOptions = {}) {
    super(address, CmfServiceClient, options);
  }

  call<K extends CmfMethodName>(
    method: K,
    request?: CmfRequest<K>,
    options?: MlmdCallOptions,
  ): Promise<CmfResponse<K>> {
    return this.invoke(method, request, options);
  }
}

installRpcMethods(CmfClient.prototype, CMF_METHOD_NAMES);

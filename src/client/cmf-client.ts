/**
 * A promise-based client for cmf.v1.CmfService over grpc-js: one method per RPC with the generated lower-camel
 * name, request and response messages as generated (int64 as bigint). Failures reject with MlmdClientError (the
 * gRPC status code and the server's message), as the MLMD client's do.
 */
import * as grpc from '@grpc/grpc-js';
import { CmfServiceClient, CmfServiceService } from '../../generated/cmf/v1/cmf_service';
import { DEFAULT_CLIENT_MAX_MESSAGE_BYTES, MlmdClientError, type Decoded, type MlmdCallOptions } from './mlmd-client';

type ServiceDefinition = typeof CmfServiceService;
export type CmfMethodName = keyof ServiceDefinition & string;
export type CmfRequest<K extends CmfMethodName> = Parameters<ServiceDefinition[K]['requestSerialize']>[0];
export type CmfResponse<K extends CmfMethodName> = Decoded<ReturnType<ServiceDefinition[K]['responseDeserialize']>>;
export type CmfMethods = {
  [K in CmfMethodName]: (request?: CmfRequest<K>, options?: MlmdCallOptions) => Promise<CmfResponse<K>>;
};

export interface CmfClientOptions {
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  deadlineMs?: number;
}

type UnaryFn = (
  request: unknown,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

export const CMF_METHOD_NAMES: readonly CmfMethodName[] = Object.keys(CmfServiceService) as CmfMethodName[];

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface CmfClient extends CmfMethods {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class CmfClient {
  readonly address: string;
  readonly grpcClient: grpc.Client;
  private readonly defaultDeadlineMs?: number;
  private closed = false;

  constructor(address: string, options: CmfClientOptions = {}) {
    this.address = address;
    this.defaultDeadlineMs = options.deadlineMs;
    this.grpcClient = new CmfServiceClient(address, options.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': DEFAULT_CLIENT_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': DEFAULT_CLIENT_MAX_MESSAGE_BYTES,
      ...options.channelOptions,
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.grpcClient.close();
  }

  call<K extends CmfMethodName>(method: K, request?: CmfRequest<K>, options: MlmdCallOptions = {}): Promise<CmfResponse<K>> {
    const fn = (this.grpcClient as unknown as Record<string, UnaryFn>)[method];
    if (typeof fn !== 'function') {
      return Promise.reject(new MlmdClientError(method, grpc.status.UNIMPLEMENTED, `unknown method ${method}`));
    }
    const callOptions: Partial<grpc.CallOptions> = {};
    const deadlineMs = options.deadlineMs ?? this.defaultDeadlineMs;
    if (deadlineMs !== undefined && Number.isFinite(deadlineMs)) callOptions.deadline = Date.now() + deadlineMs;
    return new Promise<CmfResponse<K>>((resolve, reject) => {
      try {
        fn.call(this.grpcClient, request ?? {}, options.metadata ?? new grpc.Metadata(), callOptions, (error, response) => {
          if (error) reject(MlmdClientError.from(method, error));
          else resolve(response as CmfResponse<K>);
        });
      } catch (error) {
        reject(new MlmdClientError(method, grpc.status.INVALID_ARGUMENT, (error as Error).message ?? String(error)));
      }
    });
  }
}

for (const name of CMF_METHOD_NAMES) {
  Object.defineProperty(CmfClient.prototype, name, {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function (this: CmfClient, request?: unknown, options?: MlmdCallOptions) {
      return this.call(name, request as never, options);
    },
  });
}

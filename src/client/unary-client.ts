/**
 * The mechanics every SDK client shares: a grpc-js channel, per-call deadlines, metadata and cancellation, errors as
 * MlmdClientError, and one promise-returning method per RPC installed from the generated service definition.
 * MlmdClient and CmfClient are this plus their service's types.
 */
import * as grpc from '@grpc/grpc-js';

/** Keys of T whose (non-undefined) type is a list or a map. */
type CollectionKeys<T> = {
  [P in keyof T]-?: NonNullable<T[P]> extends readonly unknown[] | Map<unknown, unknown> ? P : never;
}[keyof T];

/**
 * A decoded message: the generated decoder always fills repeated fields with an array and int64-keyed maps with a
 * Map (possibly empty), so on responses these are typed as present; singular fields keep their presence.
 */
export type Decoded<T> = Omit<T, CollectionKeys<T>> & { [P in CollectionKeys<T>]-?: NonNullable<T[P]> };

/** Per-call settings; each overrides the client's default for this call only. */
export interface MlmdCallOptions {
  /** Deadline relative to the start of the call, in ms; overrides the client default. `Infinity` = none. */
  deadlineMs?: number;
  /** Request metadata (headers). */
  metadata?: grpc.Metadata;
  /** Cancels the call; the promise rejects with CANCELLED. */
  signal?: AbortSignal;
}

/** Options of every SDK client. */
export interface ClientOptions {
  /** Channel credentials; plaintext when absent. */
  credentials?: grpc.ChannelCredentials;
  /** Raw grpc-js channel options; they win over the defaults below. */
  channelOptions?: grpc.ChannelOptions;
  /** Default per-call deadline in ms; no deadline when absent. */
  deadlineMs?: number;
  /** The tenant every call goes to (sent as the `x-cmf-tenant` metadata); the server's default when absent. */
  tenant?: string;
}

/** The metadata key naming a call's tenant (the server's TENANT_HEADER). */
export const TENANT_METADATA_KEY = 'x-cmf-tenant';

/**
 * gRPC's 4 MiB default is too small for large listings (Kubeflow raises the MLMD limit to 100 MB); the SDK allows
 * 128 MiB in both directions unless channelOptions say otherwise.
 */
export const DEFAULT_CLIENT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/** Names of gRPC status codes, for error messages. */
const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(grpc.status)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `CODE_${code}`;
}

/** A failed RPC: the gRPC status code (MLMD's error class) and the server's status message. */
export class MlmdClientError extends Error {
  readonly code: grpc.status;
  readonly details: string;
  /** Lower-camel RPC name. */
  readonly method: string;
  readonly metadata?: grpc.Metadata;

  constructor(method: string, code: grpc.status, details: string, metadata?: grpc.Metadata) {
    super(`${method}: ${statusName(code)}: ${details}`);
    this.name = 'MlmdClientError';
    this.code = code;
    this.details = details;
    this.method = method;
    this.metadata = metadata;
  }

  /** The status name, e.g. `NOT_FOUND`. */
  get codeName(): string {
    return statusName(this.code);
  }

  static from(method: string, error: unknown): MlmdClientError {
    if (error instanceof MlmdClientError) return error;
    const e = error as Partial<grpc.ServiceError> | undefined;
    if (e && typeof e.code === 'number') {
      return new MlmdClientError(method, e.code, e.details ?? e.message ?? '', e.metadata);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new MlmdClientError(method, grpc.status.UNKNOWN, message);
  }
}

type UnaryFn = (
  request: unknown,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/** A generated grpc-js client constructor (e.g. MetadataStoreServiceClient). */
export type GrpcClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ChannelOptions>,
) => grpc.Client;

export class UnaryClient {
  readonly address: string;
  /** The underlying generated grpc-js client (for streaming-free escape hatches such as channel state). */
  readonly grpcClient: grpc.Client;
  private readonly defaultDeadlineMs?: number;
  private readonly tenant?: string;
  private closed = false;

  constructor(address: string, GrpcClient: GrpcClientConstructor, options: ClientOptions = {}) {
    this.address = address;
    this.defaultDeadlineMs = options.deadlineMs;
    this.tenant = options.tenant;
    this.grpcClient = new GrpcClient(address, options.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': DEFAULT_CLIENT_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': DEFAULT_CLIENT_MAX_MESSAGE_BYTES,
      ...options.channelOptions,
    });
  }

  /** Resolves once the channel is connected (or rejects at the deadline). */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.grpcClient.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Closes the channel; calls made afterwards fail. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.grpcClient.close();
  }

  /** Calls an RPC by its lower-camel name; subclasses expose it typed, and one method per RPC wraps it. */
  protected invoke<R>(method: string, request: unknown, options: MlmdCallOptions = {}): Promise<R> {
    const fn = (this.grpcClient as unknown as Record<string, UnaryFn>)[method];
    if (typeof fn !== 'function') {
      return Promise.reject(new MlmdClientError(method, grpc.status.UNIMPLEMENTED, `unknown method ${method}`));
    }
    const callOptions: Partial<grpc.CallOptions> = {};
    const deadlineMs = options.deadlineMs ?? this.defaultDeadlineMs;
    if (deadlineMs !== undefined && Number.isFinite(deadlineMs)) callOptions.deadline = Date.now() + deadlineMs;
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(new MlmdClientError(method, grpc.status.CANCELLED, 'Cancelled before the call started'));
    }
    const metadata = options.metadata?.clone() ?? new grpc.Metadata();
    if (this.tenant !== undefined && metadata.get(TENANT_METADATA_KEY).length === 0)
      metadata.set(TENANT_METADATA_KEY, this.tenant);
    return new Promise<R>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      let call: grpc.ClientUnaryCall;
      try {
        call = fn.call(this.grpcClient, request ?? {}, metadata, callOptions, (error, response) => {
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          if (error) reject(MlmdClientError.from(method, error));
          else resolve(response as R);
        });
      } catch (error) {
        // Serialisation failures (e.g. an int64 out of range) are thrown synchronously by the generated encoder.
        reject(new MlmdClientError(method, grpc.status.INVALID_ARGUMENT, (error as Error).message ?? String(error)));
        return;
      }
      if (signal) {
        onAbort = () => call.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}

/** Installs one method per RPC name on a client class, each a thin wrapper around `call`. */
export function installRpcMethods(
  prototype: { call(method: string, request?: never, options?: MlmdCallOptions): Promise<unknown> },
  names: readonly string[],
): void {
  for (const name of names) {
    Object.defineProperty(prototype, name, {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function (this: typeof prototype, request?: unknown, options?: MlmdCallOptions) {
        return this.call(name, request as never, options);
      },
    });
  }
}

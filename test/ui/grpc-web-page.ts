/**
 * The browser side of the grpc-web suite: Kubeflow's client library (`grpc-web` from npm, the runtime KFP's generated
 * MetadataStoreServicePromiseClient calls) driven as KFP's generated code drives it (GrpcWebClientBase.thenableCall
 * with a MethodDescriptor), with our ts-proto codecs in place of protoc-gen-grpc-web's, which cannot be built here.
 * The test calls `window.grpcWebCall` with request bytes and gets back response bytes or the error.
 */
import { GrpcWebClientBase, MethodDescriptor, RpcError } from 'grpc-web';
import { CmfServiceService } from '../../generated/cmf/v1/cmf_service';
import { MetadataStoreServiceService } from '../../generated/ml_metadata/proto/metadata_store_service';

type Codec = {
  path: string;
  requestDeserialize(b: Buffer): unknown;
  requestSerialize(r: never): Uint8Array;
  responseDeserialize(b: Buffer): unknown;
  responseSerialize(r: never): Uint8Array;
};
const METHODS = new Map<string, Codec>(
  [...Object.values(MetadataStoreServiceService), ...Object.values(CmfServiceService)].map((m) => [m.path, m as Codec]),
);

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export type CallResult = { response: string } | { code: number; message: string };

async function grpcWebCall(
  host: string,
  format: 'text' | 'binary',
  path: string,
  request: string,
): Promise<CallResult> {
  const codec = METHODS.get(path);
  if (!codec) throw new Error(`unknown method ${path}`);
  const client = new GrpcWebClientBase({ format });
  const descriptor = new MethodDescriptor(
    path,
    'unary',
    Object as never,
    Object as never,
    (r: unknown) => codec.requestSerialize(r as never),
    (b: Uint8Array) => codec.responseDeserialize(b as Buffer),
  );
  const message = codec.requestDeserialize(fromBase64(request) as Buffer);
  try {
    const response = await client.thenableCall(host + path, message, {}, descriptor);
    return { response: toBase64(codec.responseSerialize(response as never)) };
  } catch (e) {
    if (e instanceof RpcError) return { code: e.code, message: e.message };
    throw e;
  }
}

(window as unknown as { grpcWebCall: typeof grpcWebCall }).grpcWebCall = grpcWebCall;
document.title = 'grpc-web page ready';

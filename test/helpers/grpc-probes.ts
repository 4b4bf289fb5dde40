/**
 * Generic gRPC probes the server tests share: a reflection request and a health check, made with clients loaded
 * from the standard protos (not our generated code), as grpcurl or a load balancer would.
 */
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

const ROOT = path.resolve(__dirname, '..', '..');
const REFLECTION_PROTO = path.join(
  ROOT,
  'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
);

type ClientCtor = new (address: string, creds: grpc.ChannelCredentials) => grpc.Client;

function loadClient(file: string, dotted: string): ClientCtor {
  let cur: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, enums: String }));
  for (const part of dotted.split('.')) cur = (cur as Record<string, unknown>)[part];
  return cur as ClientCtor;
}

const ReflectionClient = loadClient(REFLECTION_PROTO, 'grpc.reflection.v1.ServerReflection');
export const HealthClient = loadClient(healthProtoPath, 'grpc.health.v1.Health');

export interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_message: string };
}

/** Sends one reflection request and resolves with the first response. */
export function reflect(address: string, request: object, metadata = new grpc.Metadata()): Promise<ReflectionResponse> {
  const client = new ReflectionClient(address, grpc.credentials.createInsecure());
  const stream = (
    client as unknown as {
      ServerReflectionInfo(metadata: grpc.Metadata): grpc.ClientDuplexStream<object, ReflectionResponse>;
    }
  ).ServerReflectionInfo(metadata);
  return new Promise((resolve, reject) => {
    stream.on('data', (r: ReflectionResponse) => {
      resolve(r);
      stream.end();
      client.close();
    });
    stream.on('error', reject);
    stream.write(request);
  });
}

/** grpc.health.v1 Check: resolves with the status name (SERVING, NOT_SERVING, ...). */
export function healthCheck(address: string, service: string): Promise<string> {
  const client = new HealthClient(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) =>
    (client as unknown as { check(r: object, cb: (e: Error | null, r: { status: string }) => void): void }).check(
      { service },
      (e, r) => {
        client.close();
        if (e) reject(e);
        else resolve(r.status);
      },
    ),
  );
}

/** Sends raw bytes as the request of `path` (identity serializers): the reply bytes, or the status of a failure. */
export function rawUnaryCall(
  client: grpc.Client,
  path: string,
  body: Buffer,
  metadata = new grpc.Metadata(),
): Promise<{ reply: Buffer } | { code: grpc.status; details: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      { deadline: Date.now() + 30_000 },
      (error, reply) => resolve(error ? { code: error.code, details: error.details } : { reply: reply! }),
    );
  });
}

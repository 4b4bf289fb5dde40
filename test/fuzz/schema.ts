/**
 * The services the fuzzer calls, read from the descriptors the server itself serves (generated/descriptor-set.binpb):
 * every method of ml_metadata.MetadataStoreService, cmf.v1.CmfService and grpc.health.v1.Health, plus gRPC
 * server reflection (v1 and v1alpha, whose request is written by hand: its protos are not compiled here).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createFileRegistry, fromBinary, type DescMessage, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

export interface FuzzMethod {
  /** The gRPC path, e.g. /ml_metadata.MetadataStoreService/GetArtifacts. */
  path: string;
  /** The method name, e.g. GetArtifacts. */
  name: string;
  /** The request message, when the fuzzer can generate it from descriptors. */
  input?: DescMessage;
  kind: 'unary' | 'server-stream' | 'bidi';
  /** Whether a successful call may change stored records (writes are tracked for the byte-identity check). */
  writes: boolean;
}

const DESCRIPTORS = path.resolve(__dirname, '..', '..', 'generated', 'descriptor-set.binpb');
const SERVICES = ['ml_metadata.MetadataStoreService', 'cmf.v1.CmfService', 'grpc.health.v1.Health'];
const READ_ONLY = /^(Get|List|Dump|Check|Watch)/;

export function loadRegistry(): FileRegistry {
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, fs.readFileSync(DESCRIPTORS)));
}

export function fuzzMethods(registry: FileRegistry): FuzzMethod[] {
  const methods: FuzzMethod[] = [];
  for (const name of SERVICES) {
    const service = registry.getService(name);
    if (!service) throw new Error(`service ${name} is not in ${DESCRIPTORS}`);
    for (const m of service.methods) {
      methods.push({
        path: `/${service.typeName}/${m.name}`,
        name: m.name,
        input: m.input,
        kind:
          m.methodKind === 'server_streaming' ? 'server-stream' : m.methodKind === 'bidi_streaming' ? 'bidi' : 'unary',
        writes: !READ_ONLY.test(m.name),
      });
    }
  }
  for (const version of ['v1', 'v1alpha'])
    methods.push({
      path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
      name: `ServerReflectionInfo(${version})`,
      kind: 'bidi',
      writes: false,
    });
  return methods;
}

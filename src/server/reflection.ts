/**
 * Server reflection from the descriptors buf compiled (generated/descriptor-set.binpb, written by `npm run gen`).
 *
 * @grpc/reflection normally takes proto-loader's definitions, whose descriptors protobufjs rebuilds: one file per
 * package, no dependency lists, relative type names and wrong map-entry names, which strict clients such as grpcurl
 * reject on `describe` and JSON calls. The compiled descriptors are exactly the .proto files, so we serve those.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { FileDescriptorProto, FileDescriptorSet } from '../../generated/google/protobuf/descriptor';
import { PACKAGE_ROOT } from '../package-info';

export const DESCRIPTOR_SET_PATH = path.join(PACKAGE_ROOT, 'generated', 'descriptor-set.binpb');

/** Every compiled file, each serialised on its own as reflection hands them out. */
export function compiledFileDescriptors(file = DESCRIPTOR_SET_PATH): Buffer[] {
  const set = FileDescriptorSet.decode(readFileSync(file));
  return (set.file ?? []).map((f) => Buffer.from(FileDescriptorProto.encode(f).finish()));
}

/**
 * A reflection service over the compiled files. The reflection package only reads `fileDescriptorProtos` from the
 * definition it is given, so one entry carrying all files is a complete definition for it.
 */
export function reflectionService(): ReflectionService {
  const definition = { files: { fileDescriptorProtos: compiledFileDescriptors() } } as unknown as PackageDefinition;
  return new ReflectionService(definition);
}

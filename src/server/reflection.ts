/**
 * Server reflection from the descriptors buf compiled (generated/descriptor-set.binpb, written by `npm run gen`).
 *
 * @grpc/reflection normally takes proto-loader's definitions, whose descriptors protobufjs rebuilds: one file per
 * package, no dependency lists, relative type names and wrong map-entry names, which strict clients such as grpcurl
 * reject on `describe` and JSON calls. The compiled descriptors are exactly the .proto files, so we serve those.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { status, type Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { FileDescriptorProto, FileDescriptorSet } from '../../generated/google/protobuf/descriptor';
import type { AccessControl } from '../access/access-control';
import { PACKAGE_ROOT } from '../package-info';
import { guardStream } from './access-guard';

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

/** What a malformed request decodes to: the stream answers it in-band instead of failing (see addReflection). */
const MALFORMED = Symbol('malformed ServerReflectionRequest');

/**
 * Adds reflection (v1 and v1alpha) to `server`. A malformed message in a reflection stream is answered with an
 * error_response (INVALID_ARGUMENT), as the protocol reports any failed request, instead of grpc-js's
 * "Error deserializing request": after large responses were written, that path never sent its status and the call
 * hung until the client's deadline (found by the fuzz suite). With access control, a stream starts only once the
 * caller is allowed to read.
 */
export function addReflection(server: Server, access?: AccessControl): void {
  const tolerant = {
    addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation) {
      const methods: Record<string, unknown> = {};
      for (const [name, method] of Object.entries(definition)) {
        methods[name] = {
          ...method,
          requestDeserialize: (bytes: Buffer) => {
            try {
              return method.requestDeserialize(bytes);
            } catch {
              return MALFORMED;
            }
          },
        };
      }
      const handlers: UntypedServiceImplementation = {};
      for (const [name, handler] of Object.entries(implementation)) {
        handlers[name] = ((stream: NodeJS.EventEmitter & { write(m: unknown): boolean }) => {
          // The library's handler answers every 'data' event; malformed messages are answered here instead.
          const on = stream.on.bind(stream);
          stream.on = (event: string | symbol, listener: (...args: unknown[]) => void) =>
            event !== 'data'
              ? on(event, listener)
              : on('data', (message: unknown) =>
                  message === MALFORMED
                    ? stream.write({
                        validHost: '',
                        errorResponse: {
                          errorCode: status.INVALID_ARGUMENT,
                          errorMessage: 'Malformed ServerReflectionRequest: it is not a valid protobuf message',
                        },
                      })
                    : listener(message),
                );
          (handler as (s: unknown) => void)(stream);
        }) as UntypedServiceImplementation[string];
        if (access) {
          handlers[name] = guardStream(
            access,
            definition[name].path,
            handlers[name] as Parameters<typeof guardStream>[2],
          ) as UntypedServiceImplementation[string];
        }
      }
      server.addService(methods as ServiceDefinition, handlers);
    },
  };
  reflectionService().addToServer(tolerant as unknown as Server);
}

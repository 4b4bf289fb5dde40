/**
 * Where the .proto sources of our services live, and loading them with @grpc/proto-loader. The loaded definition
 * feeds server reflection (so grpcurl can list and describe services) and the schema of the text-format config.
 */
import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { PACKAGE_ROOT } from '../package-info';

/** A .proto file named relative to the include directory its imports are written against. */
export interface ProtoSource {
  file: string;
  includeDir: string;
}

/** The package's proto/ folder (shipped in the built package too). */
export const PROTO_ROOT = path.join(PACKAGE_ROOT, 'proto');

export const MLMD_SERVICE_PROTO: ProtoSource = {
  file: 'ml_metadata/proto/metadata_store_service.proto',
  includeDir: PROTO_ROOT,
};

/** grpc-health-check ships health.proto at <root>/health/v1/health.proto. */
export const HEALTH_PROTO: ProtoSource = {
  file: path.join('health', 'v1', 'health.proto'),
  includeDir: path.resolve(path.dirname(healthProtoPath), '..', '..'),
};

/**
 * keepCase keeps field names as written (snake_case), which reflection must report and the text format uses.
 * google/protobuf/*.proto imports resolve from proto-loader's bundled copies of the well-known types.
 */
export function loadProtos(sources: readonly ProtoSource[]): protoLoader.PackageDefinition {
  const files = sources.map((s) => s.file);
  const includeDirs = [...new Set(sources.map((s) => s.includeDir))];
  return protoLoader.loadSync(files, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs,
  });
}

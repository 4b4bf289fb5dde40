/**
 * The overhead bench's reference: a bare grpc-js server for MetadataStoreService that answers GetArtifactTypes and
 * GetArtifactsByID with fixed responses (the ones our server gives, passed in), with the same generated
 * (de)serialisers and nothing else: no request checks, no observers, no domain, no database.
 * `echo-server.ts PORT TYPES_RESPONSE_BASE64 ARTIFACTS_RESPONSE_BASE64`.
 */
import * as grpc from '@grpc/grpc-js';
import {
  GetArtifactsByIDResponse,
  GetArtifactTypesResponse,
  MetadataStoreServiceService,
} from '../generated/ml_metadata/proto/metadata_store_service';

const [port, typesBase64, artifactsBase64] = process.argv.slice(2);
const types = GetArtifactTypesResponse.decode(Buffer.from(typesBase64, 'base64'));
const artifacts = GetArtifactsByIDResponse.decode(Buffer.from(artifactsBase64, 'base64'));
const server = new grpc.Server();
server.addService(MetadataStoreServiceService, {
  getArtifactTypes: (_call: unknown, callback: grpc.sendUnaryData<GetArtifactTypesResponse>) => callback(null, types),
  getArtifactsById: (_call: unknown, callback: grpc.sendUnaryData<GetArtifactsByIDResponse>) =>
    callback(null, artifacts),
} as unknown as grpc.UntypedServiceImplementation);
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stderr.write(`echo server listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));

/**
 * The overhead bench's reference: a bare grpc-js server for MetadataStoreService that answers GetArtifactTypes with a
 * fixed response (the one our server gives, passed in), with the same generated (de)serialisers and nothing else:
 * no request checks, no observers, no domain, no database. `echo-server.ts PORT RESPONSE_BASE64`.
 */
import * as grpc from '@grpc/grpc-js';
import {
  GetArtifactTypesResponse,
  MetadataStoreServiceService,
} from '../generated/ml_metadata/proto/metadata_store_service';

const [port, responseBase64] = process.argv.slice(2);
const response = GetArtifactTypesResponse.decode(Buffer.from(responseBase64, 'base64'));
const server = new grpc.Server();
server.addService(MetadataStoreServiceService, {
  getArtifactTypes: (_call: unknown, callback: grpc.sendUnaryData<GetArtifactTypesResponse>) =>
    callback(null, response),
} as unknown as grpc.UntypedServiceImplementation);
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stderr.write(`echo server listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));

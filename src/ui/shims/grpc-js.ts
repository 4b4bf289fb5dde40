/**
 * Stands in for @grpc/grpc-js in the browser bundle. The generated service modules (shared with the server) build a
 * grpc-js client class at load time; the UI uses only their method table (paths and codecs) over gRPC-Web, so the
 * class is never instantiated.
 */
export class Client {
  constructor() {
    throw new Error('grpc-js clients are not available in the browser; use the gRPC-Web client (src/ui/api)');
  }
}

export function makeGenericClientConstructor(): typeof Client {
  return Client;
}

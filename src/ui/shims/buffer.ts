/** Node's Buffer for the generated codecs' bytes fields (google.protobuf.Any values), injected by the build. */
export { Buffer } from 'buffer';

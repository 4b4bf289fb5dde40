/** The TypeScript SDK. MLMD part: a promise-based MetadataStoreService client. */
export {
  DEFAULT_CLIENT_MAX_MESSAGE_BYTES,
  MLMD_METHOD_NAMES,
  MlmdClient,
  MlmdClientError,
  statusName,
  type Decoded,
  type MlmdCallOptions,
  type MlmdClientOptions,
  type MlmdMethodName,
  type MlmdMethods,
  type MlmdRequest,
  type MlmdResponse,
} from './mlmd-client';

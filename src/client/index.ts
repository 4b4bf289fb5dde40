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
/** CMF part: the CmfService client, the cmflib-style `Cmf` class, DVC-3 hashing and the Parquet writers. */
export { CmfClient, CMF_METHOD_NAMES, type CmfClientOptions, type CmfMethodName } from './cmf-client';
export {
  Cmf,
  DataSlice,
  PyFloat,
  toValue,
  toValues,
  gitRepoOf,
  type CmfOptions,
  type Properties,
  type PropertyValue,
} from './cmf';
export { dvcHash, md5File, md5Text, hashDirectory, dvcRemoteUrl, dvcDefaultRemote, type DirEntry } from './hashing';
export { writeStepMetrics, writeDataslice, writeIndexedParquet, readParquetRows } from './cmf-parquet';

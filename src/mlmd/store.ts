/**
 * The MLMD domain assembled: every RPC of MetadataStoreService bound to one database. Each concern lives in its own
 * module and contributes its RPC table; the type annotation makes the compiler check that all 52 are present.
 */
import type { Database } from '../storage/database';
import type { MlmdApi } from './api';
import { bindRpcs } from './rpc';
import { typeRpcs } from './types';
import { nodeRpcs } from './nodes';
import { linkRpcs } from './links';
import { lineageRpcs } from './lineage';

export function createMlmdApi(db: Database): MlmdApi {
  return bindRpcs(db, { ...typeRpcs, ...nodeRpcs, ...linkRpcs, ...lineageRpcs });
}

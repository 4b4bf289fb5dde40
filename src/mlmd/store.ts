/**
 * The MLMD domain assembled: every RPC of MetadataStoreService bound to one database. Each concern lives in its own
 * module and contributes its RPC table (rpc-table.ts); the type annotation makes the compiler check that all 52 are
 * present.
 */
import type { Database } from '../storage/database';
import type { MlmdApi } from './api';
import { bindRpcs } from './rpc';
import { MLMD_RPCS, READ_RPC_TASK } from './rpc-table';

export function createMlmdApi(db: Database): MlmdApi {
  return bindRpcs(db, MLMD_RPCS, READ_RPC_TASK);
}

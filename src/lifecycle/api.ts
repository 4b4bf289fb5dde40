/**
 * The lifecycle domain's public surface: one async function per RPC of cmf_mlmd.v1.LifecycleService, keyed by the
 * lower-camel method name ts-proto uses, bound to one database.
 */
import type {
  DeleteRequest,
  DeleteResponse,
  ListDeletionsRequest,
  ListDeletionsResponse,
} from '../../generated/cmf_mlmd/v1/lifecycle';
import type { Database } from '../storage/database';
import { listDeletions } from './audit';
import { runDeletion } from './execute';

export interface LifecycleApi {
  delete(request: DeleteRequest): Promise<DeleteResponse>;
  listDeletions(request: ListDeletionsRequest): Promise<ListDeletionsResponse>;
}

export function createLifecycleApi(db: Database): LifecycleApi {
  return {
    delete: (request) => runDeletion(db, request),
    listDeletions: (request) => listDeletions(db, request.pageSize ?? 0, request.pageToken ?? ''),
  };
}

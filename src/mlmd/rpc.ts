/**
 * How a domain module declares its RPCs: each is a body run inside one transaction of the given mode. `defineRpcs`
 * turns a table of bodies into MlmdApi methods bound to a database, so "one RPC = one transaction" lives here only.
 */
import type { Database, Tx, TxMode } from '../storage/database';
import { runReadTask, type ReadTask } from '../storage/read-task';
import type { MlmdApi, MlmdRpcName, RequestOf, ResponseOf } from './api';

export interface RpcBody<K extends MlmdRpcName> {
  /** The transaction's mode, or how it follows from the request. */
  mode: TxMode | ((request: RequestOf<K>) => TxMode);
  run(tx: Tx, request: RequestOf<K>): Promise<ResponseOf<K>>;
}

/**
 * Keys past which a lookup by a request's list (ids, names) runs as a read: each key is an index probe or two, so a
 * few hundred cost well under a millisecond on the server's thread, while a request's list can hold a million.
 */
export const MAX_LOOKUP_KEYS = 1000;

export type RpcTable<K extends MlmdRpcName> = { [P in K]: RpcBody<P> };

export const write = <K extends MlmdRpcName>(run: RpcBody<K>['run']): RpcBody<K> => ({ mode: 'write', run });
export const read = <K extends MlmdRpcName>(run: RpcBody<K>['run']): RpcBody<K> => ({ mode: 'read', run });
/**
 * A read whose cost the request bounds (storage/database.ts `lookup`): by id, by name, or of the type catalog (types
 * are a store's schema: tens, not millions). `keys` names the request's list when it has one: a longer list than
 * MAX_LOOKUP_KEYS makes it a read.
 */
export const lookup = <K extends MlmdRpcName>(
  run: RpcBody<K>['run'],
  keys?: (request: RequestOf<K>) => readonly unknown[] | undefined,
): RpcBody<K> => ({
  mode: keys ? (r) => ((keys(r)?.length ?? 0) > MAX_LOOKUP_KEYS ? 'read' : 'lookup') : 'lookup',
  run,
});

/**
 * Binds every body of `table` to `db`. With `readTask` (the task that runs `table`'s bodies by name), reads go
 * through it, so a backend can run a whole read where it is cheapest (one message to a reader thread).
 */
export function bindRpcs<K extends MlmdRpcName>(
  db: Database,
  table: RpcTable<K>,
  readTask?: ReadTask,
): Pick<MlmdApi, K> {
  if (readTask) db.prepareReadTask?.(readTask);
  const api = {} as Record<string, (request: unknown) => Promise<unknown>>;
  for (const rpc of Object.keys(table) as K[]) {
    const { mode, run } = table[rpc] as unknown as RpcBody<K>;
    const inTransaction = (m: TxMode, request: unknown) =>
      m === 'read' && readTask
        ? runReadTask(db, readTask, { rpc, request })
        : db.transaction(m, (tx) => run(tx, request as RequestOf<K>));
    api[rpc] =
      typeof mode === 'function'
        ? (request) => inTransaction(mode(request as RequestOf<K>), request)
        : (request) => inTransaction(mode, request);
  }
  return api as unknown as Pick<MlmdApi, K>;
}

/**
 * How a domain module declares its RPCs: each is a body run inside one transaction of the given mode. `defineRpcs`
 * turns a table of bodies into MlmdApi methods bound to a database, so "one RPC = one transaction" lives here only.
 */
import type { Database, Tx, TxMode } from '../storage/database';
import type { MlmdApi, MlmdRpcName, RequestOf, ResponseOf } from './api';

export interface RpcBody<K extends MlmdRpcName> {
  mode: TxMode;
  run(tx: Tx, request: RequestOf<K>): Promise<ResponseOf<K>>;
}

export type RpcTable<K extends MlmdRpcName> = { [P in K]: RpcBody<P> };

export const write = <K extends MlmdRpcName>(run: RpcBody<K>['run']): RpcBody<K> => ({ mode: 'write', run });
export const read = <K extends MlmdRpcName>(run: RpcBody<K>['run']): RpcBody<K> => ({ mode: 'read', run });

export function bindRpcs<K extends MlmdRpcName>(db: Database, table: RpcTable<K>): Pick<MlmdApi, K> {
  const api = {} as Record<string, (request: unknown) => Promise<unknown>>;
  for (const name of Object.keys(table) as K[]) {
    const body = table[name] as unknown as RpcBody<K>;
    api[name] = (request) => db.transaction(body.mode, (tx) => body.run(tx, request as RequestOf<K>));
  }
  return api as unknown as Pick<MlmdApi, K>;
}

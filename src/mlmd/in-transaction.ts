/**
 * The MLMD domain inside a caller's transaction: every RPC body of MetadataStoreService bound to one `Tx`, so a
 * higher domain (CMF) composes several MLMD operations and they commit or roll back together. The bodies are the
 * very ones the MLMD service runs; only the transaction boundary moves to the caller.
 */
import type { Context } from '../../generated/ml_metadata/proto/metadata_store';
import type { Database, Tx, TxMode } from '../storage/database';
import { serializeOn } from '../storage/sql';
import type { MlmdApi, MlmdRpcName, RequestOf } from './api';
import type { RpcBody } from './rpc';
import { typeRpcs } from './types';
import { nodeRpcs } from './nodes';
import { contextsOfMany, linkRpcs } from './links';
import { lineageRpcs } from './lineage';

const TABLE = { ...typeRpcs, ...nodeRpcs, ...linkRpcs, ...lineageRpcs };

/** Set-based reads the domain offers higher domains beside its RPCs, where no RPC reads many nodes' links at once. */
export interface MlmdReads {
  /** The contexts associated with each execution (executions without any are absent), in two queries. */
  contextsOfExecutions(executionIds: readonly bigint[]): Promise<Map<bigint, Context[]>>;
}

/** The MLMD domain as a higher domain sees it inside a transaction. */
export type MlmdDomain = MlmdApi & MlmdReads;

/** Every MLMD RPC body bound to `tx` (no transaction of its own), and the domain's set-based reads. */
export function mlmdInTx(tx: Tx): MlmdDomain {
  const api = {} as Record<string, (request: unknown) => Promise<unknown>>;
  for (const name of Object.keys(TABLE) as MlmdRpcName[]) {
    const body = TABLE[name] as unknown as RpcBody<MlmdRpcName>;
    api[name] = (request) => body.run(tx, (request ?? {}) as RequestOf<MlmdRpcName>);
  }
  const reads: MlmdReads = {
    contextsOfExecutions: (ids) => contextsOfMany(tx, 'Association', 'execution_id', ids),
  };
  return Object.assign(api as unknown as MlmdApi, reads);
}

/**
 * Runs `body` with the MLMD domain inside one transaction of `mode` on `db`. With `serializeOnKeys`, the transaction
 * first takes turns with every other transaction naming one of those keys (across servers on a shared database; see
 * storage/sql.ts serializeOn), so a read-then-write body sees what the previous holder committed.
 */
export function withMlmd<T>(
  db: Database,
  mode: TxMode,
  body: (mlmd: MlmdDomain) => Promise<T>,
  serializeOnKeys: readonly string[] = [],
): Promise<T> {
  return db.transaction(mode, async (tx) => {
    await serializeOn(tx, serializeOnKeys);
    return body(mlmdInTx(tx));
  });
}

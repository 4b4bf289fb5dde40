/**
 * Every RPC body of the MLMD domain, in one table, and its reads as one read task (storage/read-task.ts): a backend
 * with reader threads runs a whole read RPC on one of them, in one message. This module is loaded on those threads
 * too, so it imports only the domain.
 */
import type { Tx } from '../storage/database';
import type { ReadTask } from '../storage/read-task';
import type { MlmdRpcName } from './api';
import { lineageRpcs } from './lineage';
import { linkRpcs } from './links';
import { nodeRpcs } from './nodes';
import type { RpcBody } from './rpc';
import { typeRpcs } from './types';

export const MLMD_RPCS = { ...typeRpcs, ...nodeRpcs, ...linkRpcs, ...lineageRpcs };

/** What the task gets: the RPC's name and its request (both cloned to the thread). */
export interface ReadRpcInput {
  rpc: MlmdRpcName;
  request: unknown;
}

export const READ_RPC_TASK: ReadTask = { module: __filename, name: 'runReadRpc' };

export function runReadRpc(tx: Tx, input: ReadRpcInput): Promise<unknown> {
  const body = (MLMD_RPCS as unknown as Record<MlmdRpcName, RpcBody<MlmdRpcName>>)[input.rpc];
  return body.run(tx, input.request as never);
}

/**
 * The composite writes and lineage reads: PutExecution, PutLineageSubgraph, GetLineageGraph, GetLineageSubgraph.
 * Each lives in its own module; this table binds them to one transaction per RPC.
 */
import { getLineageGraph } from './lineage-graph';
import { getLineageSubgraph } from './lineage-subgraph';
import { putExecution } from './put-execution';
import { putLineageSubgraph } from './put-lineage-subgraph';
import { read, type RpcTable, write } from './rpc';

type LineageRpc = 'putExecution' | 'putLineageSubgraph' | 'getLineageGraph' | 'getLineageSubgraph';

export const lineageRpcs: RpcTable<LineageRpc> = {
  putExecution: write((tx, r) => putExecution(tx, r)),
  putLineageSubgraph: write((tx, r) => putLineageSubgraph(tx, r)),
  getLineageGraph: read(async (tx, r) => ({ subgraph: await getLineageGraph(tx, r.options) })),
  getLineageSubgraph: read(async (tx, r) => ({
    lineageSubgraph: await getLineageSubgraph(tx, r.lineageSubgraphQueryOptions, r.readMask),
  })),
};

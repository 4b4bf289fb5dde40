import { unimplemented } from '../errors';
import { read, RpcTable, write } from './rpc';

type LineageRpc =
  | 'putExecution'
  | 'putLineageSubgraph'
  | 'getLineageGraph'
  | 'getLineageSubgraph';

export const lineageRpcs: RpcTable<LineageRpc> = {
  putExecution: write(async () => { throw unimplemented('putExecution is not implemented yet'); }),
  putLineageSubgraph: write(async () => { throw unimplemented('putLineageSubgraph is not implemented yet'); }),
  getLineageGraph: read(async () => { throw unimplemented('getLineageGraph is not implemented yet'); }),
  getLineageSubgraph: read(async () => { throw unimplemented('getLineageSubgraph is not implemented yet'); }),
};

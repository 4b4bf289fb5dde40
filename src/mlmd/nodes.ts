import { unimplemented } from '../errors';
import { read, RpcTable, write } from './rpc';

type NodesRpc =
  | 'putArtifacts'
  | 'putExecutions'
  | 'putContexts'
  | 'getArtifacts'
  | 'getExecutions'
  | 'getContexts'
  | 'getArtifactsById'
  | 'getExecutionsById'
  | 'getContextsById'
  | 'getArtifactsByType'
  | 'getExecutionsByType'
  | 'getContextsByType'
  | 'getArtifactByTypeAndName'
  | 'getExecutionByTypeAndName'
  | 'getContextByTypeAndName'
  | 'getArtifactsByUri'
  | 'getArtifactsByExternalIds'
  | 'getExecutionsByExternalIds'
  | 'getContextsByExternalIds';

export const nodeRpcs: RpcTable<NodesRpc> = {
  putArtifacts: write(async () => { throw unimplemented('putArtifacts is not implemented yet'); }),
  putExecutions: write(async () => { throw unimplemented('putExecutions is not implemented yet'); }),
  putContexts: write(async () => { throw unimplemented('putContexts is not implemented yet'); }),
  getArtifacts: read(async () => { throw unimplemented('getArtifacts is not implemented yet'); }),
  getExecutions: read(async () => { throw unimplemented('getExecutions is not implemented yet'); }),
  getContexts: read(async () => { throw unimplemented('getContexts is not implemented yet'); }),
  getArtifactsById: read(async () => { throw unimplemented('getArtifactsById is not implemented yet'); }),
  getExecutionsById: read(async () => { throw unimplemented('getExecutionsById is not implemented yet'); }),
  getContextsById: read(async () => { throw unimplemented('getContextsById is not implemented yet'); }),
  getArtifactsByType: read(async () => { throw unimplemented('getArtifactsByType is not implemented yet'); }),
  getExecutionsByType: read(async () => { throw unimplemented('getExecutionsByType is not implemented yet'); }),
  getContextsByType: read(async () => { throw unimplemented('getContextsByType is not implemented yet'); }),
  getArtifactByTypeAndName: read(async () => { throw unimplemented('getArtifactByTypeAndName is not implemented yet'); }),
  getExecutionByTypeAndName: read(async () => { throw unimplemented('getExecutionByTypeAndName is not implemented yet'); }),
  getContextByTypeAndName: read(async () => { throw unimplemented('getContextByTypeAndName is not implemented yet'); }),
  getArtifactsByUri: read(async () => { throw unimplemented('getArtifactsByUri is not implemented yet'); }),
  getArtifactsByExternalIds: read(async () => { throw unimplemented('getArtifactsByExternalIds is not implemented yet'); }),
  getExecutionsByExternalIds: read(async () => { throw unimplemented('getExecutionsByExternalIds is not implemented yet'); }),
  getContextsByExternalIds: read(async () => { throw unimplemented('getContextsByExternalIds is not implemented yet'); }),
};

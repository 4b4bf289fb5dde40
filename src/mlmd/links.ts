import { unimplemented } from '../errors';
import { read, RpcTable, write } from './rpc';

type LinksRpc =
  | 'putEvents'
  | 'getEventsByExecutionIDs'
  | 'getEventsByArtifactIDs'
  | 'putAttributionsAndAssociations'
  | 'putParentContexts'
  | 'getContextsByArtifact'
  | 'getContextsByExecution'
  | 'getParentContextsByContext'
  | 'getChildrenContextsByContext'
  | 'getParentContextsByContexts'
  | 'getChildrenContextsByContexts'
  | 'getArtifactsByContext'
  | 'getExecutionsByContext';

export const linkRpcs: RpcTable<LinksRpc> = {
  putEvents: write(async () => { throw unimplemented('putEvents is not implemented yet'); }),
  getEventsByExecutionIDs: read(async () => { throw unimplemented('getEventsByExecutionIDs is not implemented yet'); }),
  getEventsByArtifactIDs: read(async () => { throw unimplemented('getEventsByArtifactIDs is not implemented yet'); }),
  putAttributionsAndAssociations: write(async () => { throw unimplemented('putAttributionsAndAssociations is not implemented yet'); }),
  putParentContexts: write(async () => { throw unimplemented('putParentContexts is not implemented yet'); }),
  getContextsByArtifact: read(async () => { throw unimplemented('getContextsByArtifact is not implemented yet'); }),
  getContextsByExecution: read(async () => { throw unimplemented('getContextsByExecution is not implemented yet'); }),
  getParentContextsByContext: read(async () => { throw unimplemented('getParentContextsByContext is not implemented yet'); }),
  getChildrenContextsByContext: read(async () => { throw unimplemented('getChildrenContextsByContext is not implemented yet'); }),
  getParentContextsByContexts: read(async () => { throw unimplemented('getParentContextsByContexts is not implemented yet'); }),
  getChildrenContextsByContexts: read(async () => { throw unimplemented('getChildrenContextsByContexts is not implemented yet'); }),
  getArtifactsByContext: read(async () => { throw unimplemented('getArtifactsByContext is not implemented yet'); }),
  getExecutionsByContext: read(async () => { throw unimplemented('getExecutionsByContext is not implemented yet'); }),
};

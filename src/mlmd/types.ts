import { unimplemented } from '../errors';
import { read, RpcTable, write } from './rpc';

type TypesRpc =
  | 'putArtifactType'
  | 'putExecutionType'
  | 'putContextType'
  | 'putTypes'
  | 'getArtifactType'
  | 'getArtifactTypesById'
  | 'getArtifactTypes'
  | 'getExecutionType'
  | 'getExecutionTypesById'
  | 'getExecutionTypes'
  | 'getContextType'
  | 'getContextTypesById'
  | 'getContextTypes'
  | 'getArtifactTypesByExternalIds'
  | 'getExecutionTypesByExternalIds'
  | 'getContextTypesByExternalIds';

export const typeRpcs: RpcTable<TypesRpc> = {
  putArtifactType: write(async () => { throw unimplemented('putArtifactType is not implemented yet'); }),
  putExecutionType: write(async () => { throw unimplemented('putExecutionType is not implemented yet'); }),
  putContextType: write(async () => { throw unimplemented('putContextType is not implemented yet'); }),
  putTypes: write(async () => { throw unimplemented('putTypes is not implemented yet'); }),
  getArtifactType: read(async () => { throw unimplemented('getArtifactType is not implemented yet'); }),
  getArtifactTypesById: read(async () => { throw unimplemented('getArtifactTypesById is not implemented yet'); }),
  getArtifactTypes: read(async () => { throw unimplemented('getArtifactTypes is not implemented yet'); }),
  getExecutionType: read(async () => { throw unimplemented('getExecutionType is not implemented yet'); }),
  getExecutionTypesById: read(async () => { throw unimplemented('getExecutionTypesById is not implemented yet'); }),
  getExecutionTypes: read(async () => { throw unimplemented('getExecutionTypes is not implemented yet'); }),
  getContextType: read(async () => { throw unimplemented('getContextType is not implemented yet'); }),
  getContextTypesById: read(async () => { throw unimplemented('getContextTypesById is not implemented yet'); }),
  getContextTypes: read(async () => { throw unimplemented('getContextTypes is not implemented yet'); }),
  getArtifactTypesByExternalIds: read(async () => { throw unimplemented('getArtifactTypesByExternalIds is not implemented yet'); }),
  getExecutionTypesByExternalIds: read(async () => { throw unimplemented('getExecutionTypesByExternalIds is not implemented yet'); }),
  getContextTypesByExternalIds: read(async () => { throw unimplemented('getContextTypesByExternalIds is not implemented yet'); }),
};

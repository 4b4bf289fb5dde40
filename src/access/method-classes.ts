/**
 * The class of every gRPC method the server hosts (gRPC and gRPC-Web share the paths), written out once. A method
 * missing here cannot be guarded: building the guard throws (access/guard), and a test walks every service of the
 * compiled descriptor set against this table, so a new RPC fails the tests until someone classifies it.
 *
 * Reflection is `read`: it describes only the compiled .proto files, nothing of a tenant's data, but a server that
 * asks for identities should not describe itself to strangers either. Health is `open` for probes.
 */
import type { AccessClass } from './roles';

const classes = (cls: AccessClass, names: readonly string[]): Record<string, AccessClass> =>
  Object.fromEntries(names.map((n) => [n, cls]));

export const METHOD_CLASSES: Readonly<Record<string, Readonly<Record<string, AccessClass>>>> = {
  'ml_metadata.MetadataStoreService': {
    ...classes('write', [
      'PutArtifactType',
      'PutExecutionType',
      'PutContextType',
      'PutTypes',
      'PutArtifacts',
      'PutExecutions',
      'PutEvents',
      'PutExecution',
      'PutLineageSubgraph',
      'PutContexts',
      'PutAttributionsAndAssociations',
      'PutParentContexts',
    ]),
    ...classes('read', [
      'GetArtifactType',
      'GetArtifactTypesByID',
      'GetArtifactTypes',
      'GetExecutionType',
      'GetExecutionTypesByID',
      'GetExecutionTypes',
      'GetContextType',
      'GetContextTypesByID',
      'GetContextTypes',
      'GetArtifacts',
      'GetExecutions',
      'GetContexts',
      'GetArtifactsByID',
      'GetExecutionsByID',
      'GetContextsByID',
      'GetArtifactsByType',
      'GetExecutionsByType',
      'GetContextsByType',
      'GetArtifactByTypeAndName',
      'GetExecutionByTypeAndName',
      'GetContextByTypeAndName',
      'GetArtifactsByURI',
      'GetEventsByExecutionIDs',
      'GetEventsByArtifactIDs',
      'GetArtifactsByExternalIds',
      'GetExecutionsByExternalIds',
      'GetContextsByExternalIds',
      'GetArtifactTypesByExternalIds',
      'GetExecutionTypesByExternalIds',
      'GetContextTypesByExternalIds',
      'GetContextsByArtifact',
      'GetContextsByExecution',
      'GetParentContextsByContext',
      'GetChildrenContextsByContext',
      'GetParentContextsByContexts',
      'GetChildrenContextsByContexts',
      'GetArtifactsByContext',
      'GetExecutionsByContext',
      'GetLineageGraph',
      'GetLineageSubgraph',
    ]),
  },
  'cmf.v1.CmfService': {
    ...classes('write', [
      'CreatePipeline',
      'CreateStage',
      'CreateExecution',
      'UpdateExecution',
      'FinalizeExecution',
      'LogDataset',
      'LogModel',
      'LogExecutionMetrics',
      'LogStepMetrics',
      'LogDataslice',
      'LogLabel',
      'LogPythonEnv',
      'MergeMetadata',
    ]),
    ...classes('read', [
      'GetPipelineNames',
      'GetPipelineStages',
      'GetExecutionsInStage',
      'GetArtifactsOfExecution',
      'GetExecutionsOfArtifact',
      'GetArtifactByName',
      'GetParentArtifacts',
      'GetChildArtifacts',
      'GetParentExecutions',
      'GetChildExecutions',
      'DumpToJson',
      'ExportMetadata',
      'PullMetadata',
    ]),
  },
  // Deleting erases what others logged: the tenant's admins only, and so is the trail of past deletions.
  'cmf_mlmd.v1.LifecycleService': classes('admin', ['Delete', 'ListDeletions']),
  'grpc.health.v1.Health': classes('open', ['Check', 'Watch']),
  'grpc.reflection.v1.ServerReflection': classes('read', ['ServerReflectionInfo']),
  'grpc.reflection.v1alpha.ServerReflection': classes('read', ['ServerReflectionInfo']),
};

/** `/package.Service/Method` -> its class; undefined for a method nobody classified. */
export function methodClass(path: string): AccessClass | undefined {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  return m ? METHOD_CLASSES[m[1]]?.[m[2]] : undefined;
}

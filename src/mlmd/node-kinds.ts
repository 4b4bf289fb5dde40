/**
 * Artifacts, executions and contexts are stored alike (a node table plus a property table); this module holds what
 * differs between the three, so the node code is written once.
 */
import type { Any } from '../../generated/google/protobuf/any';
import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { TYPE_KINDS, type TypeKindSpec } from './type-kinds';

/** The fields of Artifact, Execution and Context together; each kind uses its subset. */
export interface AnyNode {
  id?: bigint;
  typeId?: bigint;
  type?: string;
  name?: string;
  externalId?: string;
  uri?: string;
  state?: number;
  lastKnownState?: number;
  properties?: { [key: string]: Value };
  customProperties?: { [key: string]: Value };
  createTimeSinceEpoch?: bigint;
  lastUpdateTimeSinceEpoch?: bigint;
  systemMetadata?: Any;
}

/** A node's own (non-property) fields that live in columns of its table, beyond id, type, name and external id. */
export type NodeField = 'uri' | 'state' | 'lastKnownState';

export interface NodeKindSpec {
  label: 'Artifact' | 'Execution' | 'Context';
  table: 'Artifact' | 'Execution' | 'Context';
  propertyTable: 'ArtifactProperty' | 'ExecutionProperty' | 'ContextProperty';
  /** The property table's column naming its node. */
  ownerColumn: 'artifact_id' | 'execution_id' | 'context_id';
  typeKind: TypeKindSpec;
  /** Extra columns: proto field -> column. */
  fields: ReadonlyArray<{ field: NodeField; column: string }>;
  /** Contexts must be named, and may be renamed; artifact and execution names are write-once. */
  nameRequired: boolean;
}

export const ARTIFACT: NodeKindSpec = {
  label: 'Artifact',
  table: 'Artifact',
  propertyTable: 'ArtifactProperty',
  ownerColumn: 'artifact_id',
  typeKind: TYPE_KINDS.artifact,
  fields: [
    { field: 'uri', column: 'uri' },
    { field: 'state', column: 'state' },
  ],
  nameRequired: false,
};

export const EXECUTION: NodeKindSpec = {
  label: 'Execution',
  table: 'Execution',
  propertyTable: 'ExecutionProperty',
  ownerColumn: 'execution_id',
  typeKind: TYPE_KINDS.execution,
  fields: [{ field: 'lastKnownState', column: 'last_known_state' }],
  nameRequired: false,
};

export const CONTEXT: NodeKindSpec = {
  label: 'Context',
  table: 'Context',
  propertyTable: 'ContextProperty',
  ownerColumn: 'context_id',
  typeKind: TYPE_KINDS.context,
  fields: [],
  nameRequired: true,
};

/**
 * What the graph projection works with: the plain values and records it reads (NodeRecord, EventRecord), MLMD's
 * event type numbers and the CMF type names and labels that decide CMF's graph.
 */
import { ARTIFACT, CONTEXT, EXECUTION, type NodeKindSpec } from '../mlmd/node-kinds';

export type PlainValue = bigint | number | string | boolean;

/** Event.Type numbers (MLMD's enum). */
export const EVENT_TYPES = [
  'UNKNOWN',
  'DECLARED_OUTPUT',
  'DECLARED_INPUT',
  'INPUT',
  'OUTPUT',
  'INTERNAL_INPUT',
  'INTERNAL_OUTPUT',
  'PENDING_OUTPUT',
];
export const INPUT_EVENT_TYPES = new Set([0, 2, 3, 5]);
export const EV_INPUT = 3;
export const EV_OUTPUT = 4;

export const CMF_PIPELINE_TYPE = 'Parent_Context';
export const CMF_STAGE_TYPE = 'Pipeline_Stage';
/** Artifact types whose node holds lists of strings and is keyed by uri alone. */
export const CMF_LIST_LABELS = new Set(['Dataset', 'Model', 'Dataslice', 'Label', 'Environment']);
/** Artifact types whose node holds plain strings and is keyed by (uri, Name). */
export const CMF_SCALAR_LABELS = new Set(['Metrics', 'Step_Metrics']);
export const CMF_ARTIFACT_LABELS = new Set([...CMF_LIST_LABELS, ...CMF_SCALAR_LABELS]);
/** Inputs that get `linked` and lineage edges; outputs that get lineage edges (cmflib's client path). */
export const LINEAGE_INPUTS = new Set(['Dataset', 'Model']);
export const LINEAGE_OUTPUTS = new Set(['Dataset', 'Model', 'Metrics', 'Step_Metrics']);
/** Artifacts with an execution edge: inputs (Label has none: it gets has_label; Dataslice gets none). */
export const INPUT_EDGE_LABELS = new Set(['Dataset', 'Model', 'Environment']);
export const OUTPUT_EDGE_LABELS = new Set(['Dataset', 'Model', 'Metrics', 'Step_Metrics']);

export type Kind = 'artifact' | 'execution' | 'context';
export const SPEC: Record<Kind, NodeKindSpec> = { artifact: ARTIFACT, execution: EXECUTION, context: CONTEXT };
export const PLAIN_LABEL = { artifact: 'MlmdArtifact', execution: 'MlmdExecution', context: 'MlmdContext' } as const;

export interface NodeRecord {
  kind: Kind;
  id: bigint;
  typeId: bigint;
  type: string;
  name: string | null;
  uri?: string | null;
  state?: number | null;
  externalId: string | null;
  createTime: bigint;
  updateTime: bigint;
  properties: Map<string, PlainValue>;
  custom: Map<string, PlainValue>;
}

export interface EventRecord {
  id: bigint;
  artifactId: bigint;
  executionId: bigint;
  type: number;
  millis: bigint | null;
  /** Path steps: keys as strings, indexes as numbers. */
  steps: Array<string | number>;
}

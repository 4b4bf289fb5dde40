/**
 * The three kinds of MLMD type (artifact, execution, context) share one Type table; this module holds what differs.
 */
import { TypeKind } from '../storage/bootstrap';

export type KindName = 'artifact' | 'execution' | 'context';

export interface TypeKindSpec {
  name: KindName;
  kind: TypeKind;
  /** Used in messages: "ArtifactType". */
  label: string;
  /** SystemDefinedBaseType enum value -> the simple type it links to (none for contexts). */
  baseTypes: ReadonlyMap<number, string>;
}

export const TYPE_KINDS: Record<KindName, TypeKindSpec> = {
  artifact: {
    name: 'artifact',
    kind: TypeKind.ARTIFACT,
    label: 'ArtifactType',
    baseTypes: new Map([
      [1, 'mlmd.Dataset'],
      [2, 'mlmd.Model'],
      [3, 'mlmd.Metrics'],
      [4, 'mlmd.Statistics'],
    ]),
  },
  execution: {
    name: 'execution',
    kind: TypeKind.EXECUTION,
    label: 'ExecutionType',
    baseTypes: new Map([
      [1, 'mlmd.Train'],
      [2, 'mlmd.Transform'],
      [3, 'mlmd.Process'],
      [4, 'mlmd.Evaluate'],
      [5, 'mlmd.Deploy'],
    ]),
  },
  context: { name: 'context', kind: TypeKind.CONTEXT, label: 'ContextType', baseTypes: new Map() },
};

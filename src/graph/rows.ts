/** The rows one batch of changes becomes, grouped by the Cypher statement that writes them (neo4j.ts). */
import type { Kind, PlainValue } from './model';

export interface GraphRows {
  plainNodes: Record<Kind, Array<{ id: bigint; props: Record<string, PlainValue> }>>;
  plainEvents: Array<{
    type: string;
    artifact: bigint;
    execution: bigint;
    inbound: boolean;
    props: Record<string, PlainValue>;
  }>;
  plainAttributions: Array<{ context: bigint; artifact: bigint }>;
  plainAssociations: Array<{ context: bigint; execution: bigint }>;
  plainParents: Array<{ child: bigint; parent: bigint }>;
  cmfContexts: Array<{ label: 'Pipeline' | 'Stage'; uri: string; props: Record<string, unknown> }>;
  cmfExecutions: Array<{ uri: string; props: Record<string, unknown> }>;
  cmfListArtifacts: Array<{ label: string; uri: string; props: Record<string, unknown> }>;
  cmfScalarArtifacts: Array<{ label: string; uri: string; name: string; props: Record<string, unknown> }>;
  cmfContains: Array<{ pipeline: string; stage: string }>;
  cmfRuns: Array<{ stage: string; execution: string }>;
  /** input: artifact->execution; output: execution->artifact. `name` selects a scalar node. */
  cmfEventEdges: Array<{ rel: 'input' | 'output'; label: string; uri: string; name: string | null; execution: string }>;
  cmfLinked: Array<{ from: string; to: string; uri: string; artifactName: string }>;
  cmfLineage: Array<{
    type: string;
    fromLabel: string;
    fromUri: string;
    toLabel: string;
    toUri: string;
    toName: string | null;
    key: string;
    props: Record<string, unknown>;
  }>;
  cmfHasLabel: Array<{ dataset: string; label: string }>;
}

export const emptyRows = (): GraphRows => ({
  plainNodes: { artifact: [], execution: [], context: [] },
  plainEvents: [],
  plainAttributions: [],
  plainAssociations: [],
  plainParents: [],
  cmfContexts: [],
  cmfExecutions: [],
  cmfListArtifacts: [],
  cmfScalarArtifacts: [],
  cmfContains: [],
  cmfRuns: [],
  cmfEventEdges: [],
  cmfLinked: [],
  cmfLineage: [],
  cmfHasLabel: [],
});

export function rowCount(r: GraphRows): number {
  let n = r.plainNodes.artifact.length + r.plainNodes.execution.length + r.plainNodes.context.length;
  for (const [k, v] of Object.entries(r)) if (k !== 'plainNodes' && Array.isArray(v)) n += v.length;
  return n;
}

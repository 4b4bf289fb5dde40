/**
 * The lineage graph as the UI draws it: nodes are artifacts and executions (keys `a:<id>` / `e:<id>`), edges are
 * GetLineageSubgraph's events, pointing the way data flows (an input event from artifact to execution, any other
 * from execution to artifact). Expanding a node merges another subgraph into the same model.
 */
import { Event_Type, type Event } from '../../../generated/ml_metadata/proto/metadata_store';
import type { LineageAnswer } from '../api';
import { isInputType } from '../events';
import { nodeLabel, showArtifactState, showExecutionState } from '../format';
import { artifactFamily, type ArtifactFamily } from '../node-types';
import type { NodeKey } from '../router';

export interface GraphNode {
  key: NodeKey;
  kind: 'artifact' | 'execution';
  id: bigint;
  label: string;
  type: string;
  /** How it is drawn: an artifact family, or `execution`. */
  family: ArtifactFamily | 'execution';
  state: string;
}

export interface GraphEdge {
  key: string;
  from: NodeKey;
  to: NodeKey;
  eventType: Event_Type;
}

export interface LineageModel {
  nodes: Map<NodeKey, GraphNode>;
  edges: Map<string, GraphEdge>;
}

export const artifactKey = (id: bigint | string): NodeKey => `a:${id}`;
export const executionKey = (id: bigint | string): NodeKey => `e:${id}`;

/** The edge an event draws; one edge per (artifact, execution, event type), as MLMD's event key. */
export function edgeOf(e: Event): GraphEdge {
  const a = artifactKey(e.artifactId!);
  const x = executionKey(e.executionId!);
  const type = e.type ?? Event_Type.UNKNOWN;
  const input = isInputType(type);
  return { key: `${a}|${x}|${type}`, from: input ? a : x, to: input ? x : a, eventType: type };
}

export function modelOf(answer: LineageAnswer): LineageModel {
  const nodes = new Map<NodeKey, GraphNode>();
  for (const a of answer.artifacts) {
    const key = artifactKey(a.id!);
    const family = artifactFamily(a.type);
    nodes.set(key, {
      key,
      kind: 'artifact',
      id: a.id!,
      label: nodeLabel(a),
      type: a.type ?? '',
      family,
      state: showArtifactState(a),
    });
  }
  for (const x of answer.executions) {
    const key = executionKey(x.id!);
    nodes.set(key, {
      key,
      kind: 'execution',
      id: x.id!,
      label: nodeLabel(x),
      type: x.type ?? '',
      family: 'execution',
      state: showExecutionState(x),
    });
  }
  const edges = new Map<string, GraphEdge>();
  for (const e of answer.events) {
    const edge = edgeOf(e);
    if (nodes.has(edge.from) && nodes.has(edge.to)) edges.set(edge.key, edge);
  }
  return { nodes, edges };
}

export function merge(models: readonly LineageModel[]): LineageModel {
  const nodes = new Map<NodeKey, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  for (const m of models) {
    for (const [k, n] of m.nodes) nodes.set(k, n);
    for (const [k, e] of m.edges) edges.set(k, e);
  }
  return { nodes, edges };
}

export interface GraphPath {
  nodes: Set<NodeKey>;
  edges: Set<string>;
  /** Whether the path follows the data flow (from one node to the other) or only connects them. */
  directed: boolean;
}

/**
 * The shortest path between two nodes (breadth-first): along the data flow from `a` to `b` or from `b` to `a` if
 * there is one, else ignoring direction. Undefined when they are not connected in this graph.
 */
export function findPath(model: LineageModel, a: NodeKey, b: NodeKey): GraphPath | undefined {
  if (!model.nodes.has(a) || !model.nodes.has(b)) return undefined;
  const out = new Map<NodeKey, GraphEdge[]>();
  const into = new Map<NodeKey, GraphEdge[]>();
  for (const e of model.edges.values()) {
    (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e);
    (into.get(e.to) ?? into.set(e.to, []).get(e.to)!).push(e);
  }
  type Step = (n: NodeKey) => [GraphEdge, NodeKey][];
  const forward: Step = (n) => (out.get(n) ?? []).map((e) => [e, e.to]);
  const both: Step = (n) => [...forward(n), ...(into.get(n) ?? []).map((e): [GraphEdge, NodeKey] => [e, e.from])];
  const search = (from: NodeKey, to: NodeKey, step: Step): GraphPath | undefined => {
    const via = new Map<NodeKey, GraphEdge | null>([[from, null]]);
    const queue = [from];
    for (let i = 0; i < queue.length && !via.has(to); i++) {
      for (const [edge, next] of step(queue[i])) {
        if (!via.has(next)) {
          via.set(next, edge);
          queue.push(next);
        }
      }
    }
    if (!via.has(to)) return undefined;
    const path: GraphPath = { nodes: new Set([to]), edges: new Set(), directed: step === forward };
    for (let n = to; via.get(n);) {
      const edge = via.get(n)!;
      path.edges.add(edge.key);
      n = edge.to === n ? edge.from : edge.to;
      path.nodes.add(n);
    }
    return path;
  };
  return search(a, b, forward) ?? search(b, a, forward) ?? search(a, b, both);
}

/**
 * Left-to-right DAG layout of a lineage model with dagre (@dagrejs/dagre): ranks follow the data flow, so inputs sit
 * left of the executions that read them and outputs right. Nodes have one size, so labels are cut to fit.
 */
import dagre from '@dagrejs/dagre';
import type { NodeKey } from '../router';
import type { LineageModel } from './model';

export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 46;

export interface Point {
  x: number;
  y: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  /** Centre of each node. */
  nodes: Map<NodeKey, Point>;
  /** Polyline of each edge, from its source's border to its target's. */
  edges: Map<string, Point[]>;
}

/**
 * dagre's default ranker (network simplex) gives the tidiest drawing but grows quickly with size; past this many
 * nodes the cheaper longest-path ranker keeps large graphs interactive.
 */
const NETWORK_SIMPLEX_MAX_NODES = 600;

export function layoutGraph(model: LineageModel): GraphLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir: 'LR',
    nodesep: 14,
    ranksep: 56,
    edgesep: 8,
    marginx: 16,
    marginy: 16,
    ranker: model.nodes.size > NETWORK_SIMPLEX_MAX_NODES ? 'longest-path' : 'network-simplex',
  });
  g.setDefaultEdgeLabel(() => ({}));
  // Insertion order decides dagre's initial ordering; sorting by key makes the drawing reproducible.
  const keys = [...model.nodes.keys()].sort();
  for (const key of keys) g.setNode(key, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const e of [...model.edges.values()].sort((a, b) => (a.key < b.key ? -1 : 1)))
    g.setEdge(e.from, e.to, {}, e.key);
  dagre.layout(g);

  const nodes = new Map<NodeKey, Point>();
  for (const key of keys) {
    const n = g.node(key);
    nodes.set(key, { x: n.x, y: n.y });
  }
  const edges = new Map<string, Point[]>();
  for (const e of g.edges()) {
    const points = (g.edge(e) as { points?: Point[] }).points ?? [];
    edges.set(e.name!, points);
  }
  const graph = g.graph();
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges };
}

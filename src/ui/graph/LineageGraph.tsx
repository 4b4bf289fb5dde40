/**
 * The lineage graph on screen: an SVG of the laid-out model that zooms (wheel, buttons, + and -), pans (drag, arrow
 * keys) and fits (button, 0). Every node is a focusable link (Enter or click opens it, or picks it as a path end in
 * path mode) with a button that expands its neighbours in place. What to do on those actions is the page's business.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { NodeKey } from '../router';
import { NODE_HEIGHT, NODE_WIDTH, type GraphLayout, type Point } from './layout';
import type { GraphNode, GraphPath, LineageModel } from './model';

interface View {
  k: number;
  x: number;
  y: number;
}

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 3;
const KEY_PAN_PX = 60;
const clampZoom = (k: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** CMF names are `path:hash[:execution]`: the path says what it is; the full name is in the tooltip. */
function shortLabel(label: string): string {
  const colon = label.indexOf(':');
  return colon > 0 && !label.includes('://') ? label.slice(0, colon) : label;
}

function edgePath(points: readonly Point[]): string {
  return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

/** An execution is a hexagon, an artifact a rounded rectangle: the two kinds differ in shape, not only colour. */
const HEXAGON = (() => {
  const w = NODE_WIDTH / 2;
  const h = NODE_HEIGHT / 2;
  const c = 12;
  return `${-w + c},${-h} ${w - c},${-h} ${w},0 ${w - c},${h} ${-w + c},${h} ${-w},0`;
})();

export interface LineageGraphProps {
  model: LineageModel;
  layout: GraphLayout;
  start: NodeKey;
  expanded: ReadonlySet<NodeKey>;
  path?: GraphPath;
  /** Nodes picked as path ends so far (path mode). */
  picked: readonly NodeKey[];
  onActivate: (node: GraphNode) => void;
  onExpand: (node: GraphNode) => void;
}

export function LineageGraph(props: LineageGraphProps) {
  const { model, layout, path } = props;
  const svg = useRef<SVGSVGElement>(null);
  const [view, setView] = useState<View>({ k: 1, x: 0, y: 0 });
  const drag = useRef<{ id: number; x: number; y: number } | null>(null);

  const fit = () => {
    const box = svg.current?.getBoundingClientRect();
    if (!box || box.width === 0) return;
    const k = clampZoom(Math.min(1, box.width / layout.width, box.height / layout.height));
    setView({ k, x: (box.width - layout.width * k) / 2, y: (box.height - layout.height * k) / 2 });
  };
  useLayoutEffect(fit, [layout]);

  const zoomAt = (factor: number, cx?: number, cy?: number) =>
    setView((v) => {
      const box = svg.current!.getBoundingClientRect();
      const px = cx ?? box.width / 2;
      const py = cy ?? box.height / 2;
      const k = clampZoom(v.k * factor);
      return { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
    });

  // A non-passive wheel listener, so zooming does not also scroll the page.
  useEffect(() => {
    const el = svg.current!;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const box = el.getBoundingClientRect();
      zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - box.left, e.clientY - box.top);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.target !== svg.current) return; // keys on a node are the node's
    const pan = (dx: number, dy: number) => setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
    const actions: Record<string, () => void> = {
      '+': () => zoomAt(1.25),
      '=': () => zoomAt(1.25),
      '-': () => zoomAt(0.8),
      '0': fit,
      ArrowLeft: () => pan(KEY_PAN_PX, 0),
      ArrowRight: () => pan(-KEY_PAN_PX, 0),
      ArrowUp: () => pan(0, KEY_PAN_PX),
      ArrowDown: () => pan(0, -KEY_PAN_PX),
    };
    const action = actions[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };

  const nodes = useMemo(() => [...model.nodes.values()], [model]);
  const edges = useMemo(() => [...model.edges.values()], [model]);
  const picked = new Set(props.picked);

  return (
    <div class="graph-frame">
      <div class="graph-toolbar" role="toolbar" aria-label="Zoom">
        <button type="button" onClick={() => zoomAt(1.25)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => zoomAt(0.8)} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={fit}>
          Fit
        </button>
        <span class="zoom-level" aria-live="polite">
          {Math.round(view.k * 100)}%
        </span>
      </div>
      <svg
        ref={svg}
        // Lower case: in SVG, attribute names are case-sensitive and only `tabindex` makes an element focusable.
        class={`lineage${path ? ' has-path' : ''}`}
        data-testid="lineage-graph"
        data-nodes={nodes.length}
        data-edges={edges.length}
        tabindex={0}
        role="group"
        aria-label={`Lineage graph: ${nodes.length} nodes, ${edges.length} edges. Arrow keys pan, plus and minus zoom, 0 fits.`}
        onKeyDown={onKeyDown}
        onPointerDown={(e) => {
          if ((e.target as Element).closest('.node')) return;
          drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY };
          svg.current!.setPointerCapture(e.pointerId);
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d || d.id !== e.pointerId) return;
          const dx = e.clientX - d.x;
          const dy = e.clientY - d.y;
          drag.current = { id: d.id, x: e.clientX, y: e.clientY };
          setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
        }}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
          <marker id="arrow-path" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head on-path" />
          </marker>
        </defs>
        <g class="viewport" transform={`translate(${view.x},${view.y}) scale(${view.k})`}>
          <g class="edges">
            {edges.map((e) => {
              const on = path?.edges.has(e.key);
              return (
                <path
                  key={e.key}
                  class={`edge${on ? ' on-path' : ''}`}
                  data-from={e.from}
                  data-to={e.to}
                  d={edgePath(layout.edges.get(e.key) ?? [])}
                  marker-end={on ? 'url(#arrow-path)' : 'url(#arrow)'}
                />
              );
            })}
          </g>
          <g class="nodes">
            {nodes.map((n) => {
              const p = layout.nodes.get(n.key)!;
              const classes = [
                'node',
                n.kind,
                `fam-${n.family}`,
                n.key === props.start ? 'start' : '',
                path?.nodes.has(n.key) ? 'on-path' : '',
                picked.has(n.key) ? 'picked' : '',
              ];
              return (
                <g
                  key={n.key}
                  class={classes.filter(Boolean).join(' ')}
                  data-key={n.key}
                  transform={`translate(${p.x},${p.y})`}
                  tabindex={0}
                  role="link"
                  aria-label={`${n.kind} ${n.label}, type ${n.type}${n.state ? `, ${n.state}` : ''}`}
                  onClick={() => props.onActivate(n)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' || e.key === ' ') {
                      e.preventDefault();
                      props.onActivate(n);
                    }
                  }}
                >
                  <title>{`${n.label}\n${n.type} (${n.kind} ${n.id})${n.state ? `\n${n.state}` : ''}`}</title>
                  {n.kind === 'execution' ? (
                    <polygon class="shape" points={HEXAGON} />
                  ) : (
                    <rect
                      class="shape"
                      x={-NODE_WIDTH / 2}
                      y={-NODE_HEIGHT / 2}
                      width={NODE_WIDTH}
                      height={NODE_HEIGHT}
                      rx={8}
                    />
                  )}
                  {n.kind === 'artifact' && (
                    <rect class="band" x={-NODE_WIDTH / 2} y={-NODE_HEIGHT / 2} width={8} height={NODE_HEIGHT} rx={3} />
                  )}
                  <text class="label" x={-NODE_WIDTH / 2 + 16} y={-4}>
                    {cut(shortLabel(n.label), 22)}
                  </text>
                  <text class="type" x={-NODE_WIDTH / 2 + 16} y={13}>
                    {cut(n.type, 28)}
                  </text>
                  {!props.expanded.has(n.key) && n.key !== props.start && (
                    <g
                      class="expand"
                      transform={`translate(${NODE_WIDTH / 2 - 12},${-NODE_HEIGHT / 2 + 12})`}
                      role="button"
                      tabindex={0}
                      aria-label={`Show the neighbours of ${n.label}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        props.onExpand(n);
                      }}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault();
                          e.stopPropagation();
                          props.onExpand(n);
                        }
                      }}
                    >
                      <circle r={8} />
                      <path d="M-4,0 H4 M0,-4 V4" />
                    </g>
                  )}
                </g>
              );
            })}
          </g>
        </g>
      </svg>
    </div>
  );
}

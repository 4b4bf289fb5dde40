/**
 * The interactive lineage of one artifact or execution: GetLineageSubgraph N hops upstream, downstream or both,
 * drawn left to right; nodes expand in place (one more hop around them), and a path between two picked nodes is
 * highlighted. Hops, direction, expanded nodes and the path are in the URL, so the same drawing reopens from a link.
 */
import { useMemo, useState } from 'preact/hooks';
import { lineageFrom } from '../api';
import { Page } from '../components/Page';
import { Failure, Loading } from '../components/Status';
import { layoutGraph } from '../graph/layout';
import { LineageGraph } from '../graph/LineageGraph';
import { findPath, merge, modelOf, type GraphNode } from '../graph/model';
import { FAMILY_LABEL, type ArtifactFamily } from '../node-types';
import { hrefs, MAX_HOPS, navigate, type Direction, type LineageState, type NodeKey } from '../router';
import { useAsync } from '../use-async';

/** Past this many nodes a drawing is no longer readable (nor quick); the page asks for fewer hops instead. */
export const MAX_DRAWN_NODES = 5000;

const describe = (key: NodeKey) => `${key.startsWith('a:') ? 'artifact' : 'execution'} ${key.slice(2)}`;

async function loadLineage(l: LineageState) {
  const t0 = performance.now();
  const answers = await Promise.all([
    lineageFrom(l.start[0] as 'a' | 'e', l.start.slice(2), l.hops, l.direction),
    ...l.expanded.map((k) => lineageFrom(k[0] as 'a' | 'e', k.slice(2), 1, 'both')),
  ]);
  const t1 = performance.now();
  const model = merge(answers.map(modelOf));
  if (model.nodes.size > MAX_DRAWN_NODES) return { model, layout: undefined };
  const layout = layoutGraph(model);
  // Exposed for the benchmark (bench/ui.ts) and for anyone profiling in the browser's performance panel.
  performance.measure('lineage:fetch', { start: t0, end: t1 });
  performance.measure('lineage:layout', { start: t1, end: performance.now() });
  return { model, layout };
}

export function LineagePage(props: { lineage: LineageState }) {
  const l = props.lineage;
  const data = useAsync(() => loadLineage(l), [l.start, l.hops, l.direction, l.expanded.join(',')]);
  const [pathMode, setPathMode] = useState(false);
  const [picked, setPicked] = useState<NodeKey[]>([]);
  const go = (changes: Partial<LineageState>) => navigate({ view: 'lineage', lineage: { ...l, ...changes } });
  const model = data.state === 'done' ? data.value.model : undefined;
  const path = useMemo(() => (model && l.path ? findPath(model, l.path[0], l.path[1]) : undefined), [model, l.path]);

  /** A node as the hints name it: its label once loaded. */
  const name = (key: NodeKey) => {
    const n = model?.nodes.get(key);
    return n ? `${n.kind} ${n.label}` : describe(key);
  };

  const activate = (n: GraphNode) => {
    if (!pathMode) {
      location.hash = hrefs.node(n.kind, n.id);
      return;
    }
    const ends = [...picked.filter((k) => k !== n.key), n.key];
    if (ends.length < 2) return setPicked(ends);
    setPicked([]);
    setPathMode(false);
    go({ path: [ends[0], ends[1]] });
  };

  const families = model
    ? [...new Set([...model.nodes.values()].map((n) => n.family))].sort()
    : ([] as (ArtifactFamily | 'execution')[]);

  return (
    <Page title={`Lineage of ${model?.nodes.get(l.start)?.label ?? describe(l.start)}`}>
      <form
        class="lineage-controls"
        aria-label="Lineage options"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.target as HTMLFormElement);
          go({
            hops: Math.min(MAX_HOPS, Math.max(1, Number(form.get('hops')) || 1)),
            direction: form.get('direction') as Direction,
          });
        }}
      >
        <label>
          Hops <input name="hops" type="number" min={1} max={MAX_HOPS} value={l.hops} required />
        </label>
        <label>
          Direction{' '}
          <select name="direction" value={l.direction}>
            <option value="both">upstream and downstream</option>
            <option value="upstream">upstream (what it came from)</option>
            <option value="downstream">downstream (what came from it)</option>
          </select>
        </label>
        <button type="submit">Show</button>
        <button
          type="button"
          aria-pressed={pathMode}
          onClick={() => {
            setPathMode(!pathMode);
            setPicked([]);
          }}
        >
          {pathMode ? 'Cancel path' : 'Highlight a path'}
        </button>
        {l.path && (
          <button type="button" onClick={() => go({ path: undefined })}>
            Clear path
          </button>
        )}
        {l.expanded.length > 0 && (
          <button type="button" onClick={() => go({ expanded: [] })}>
            Collapse expanded ({l.expanded.length})
          </button>
        )}
        <a href={hrefs.node(l.start.startsWith('a:') ? 'artifact' : 'execution', l.start.slice(2))}>
          Open {describe(l.start)}
        </a>
      </form>
      <p class="hint" role="status" aria-live="polite">
        {pathMode
          ? picked.length === 0
            ? 'Path mode: pick the first node.'
            : `Path mode: from ${name(picked[0])}; pick the second node.`
          : l.path
            ? path
              ? `Path from ${name(l.path[0])} to ${name(l.path[1])}: ${path.edges.size} edges${path.directed ? '' : ' (connected, not along the data flow)'}.`
              : `No path between ${name(l.path[0])} and ${name(l.path[1])} in this graph.`
            : 'Click a node to open it; + shows its neighbours; drag to pan, wheel to zoom.'}
      </p>
      {data.state === 'loading' && <Loading what="lineage" />}
      {data.state === 'failed' && <Failure error={data.error} retry={data.reload} what="the lineage" />}
      {data.state === 'done' && data.value.layout === undefined && (
        <p class="failure" role="alert">
          This lineage has {data.value.model.nodes.size} nodes, more than the {MAX_DRAWN_NODES} a drawing can show.
          Lower the hops or pick one direction.
        </p>
      )}
      {data.state === 'done' && data.value.layout !== undefined && (
        <>
          <ul class="legend" aria-label="Legend">
            {families.map((f) => (
              <li key={f} class={`fam-${f}`}>
                <svg width="18" height="12" aria-hidden="true">
                  {f === 'execution' ? (
                    <polygon points="4,0 14,0 18,6 14,12 4,12 0,6" />
                  ) : (
                    <rect width="18" height="12" rx="3" />
                  )}
                </svg>{' '}
                {f === 'execution' ? 'Execution' : FAMILY_LABEL[f]}
              </li>
            ))}
          </ul>
          <LineageGraph
            model={data.value.model}
            layout={data.value.layout}
            start={l.start}
            expanded={new Set(l.expanded)}
            path={path}
            picked={picked}
            onActivate={activate}
            onExpand={(n) => go({ expanded: [...l.expanded, n.key] })}
          />
        </>
      )}
    </Page>
  );
}

/**
 * Every view is a URL: the route lives in the fragment (`/#/executions?filter=...`), so a deep link is a request for
 * `/` and reopens the same view, page, filter, sort and graph (hops, direction, expanded nodes, highlighted path).
 * parseRoute and routeHref are inverses; views only ever build links through routeHref.
 */
import { useEffect, useState } from 'preact/hooks';

export type NodeKind = 'artifact' | 'execution' | 'context';
export type SortField = 'ID' | 'CREATE_TIME' | 'LAST_UPDATE_TIME';
export type Direction = 'upstream' | 'downstream' | 'both';

/** A table's state: what a user typed and clicked, and the page tokens that led to the current page. */
export interface ListState {
  /** Restricts to one type name (empty: all types). */
  type: string;
  /** filter_query as typed (empty: none). */
  filter: string;
  sort: SortField;
  asc: boolean;
  size: number;
  /** next_page_token of each page before the current one; empty on the first page. */
  tokens: string[];
}

/** `a:12` / `e:7`: a node of the lineage graph. */
export type NodeKey = `${'a' | 'e'}:${string}`;

export interface LineageState {
  start: NodeKey;
  hops: number;
  direction: Direction;
  /** Nodes whose neighbours were expanded in place. */
  expanded: NodeKey[];
  /** Two nodes whose connecting path is highlighted. */
  path?: [NodeKey, NodeKey];
}

export type Route =
  | { view: 'home' }
  | { view: 'pipelines' }
  | { view: 'pipeline'; name: string }
  | { view: 'list'; kind: NodeKind; list: ListState }
  | { view: 'node'; kind: NodeKind; id: string }
  | { view: 'lineage'; lineage: LineageState }
  | { view: 'model'; id: string }
  | { view: 'not-found'; path: string };

export const DEFAULT_PAGE_SIZE = 20;
export const PAGE_SIZES = [20, 50, 100] as const;
export const MAX_HOPS = 20;
const SORTS: readonly SortField[] = ['ID', 'CREATE_TIME', 'LAST_UPDATE_TIME'];
const DIRECTIONS: readonly Direction[] = ['upstream', 'downstream', 'both'];

/** URL path segment of each node kind. */
const KIND_SEGMENT: Record<NodeKind, string> = { artifact: 'artifacts', execution: 'executions', context: 'contexts' };
const SEGMENT_KIND = new Map(Object.entries(KIND_SEGMENT).map(([k, s]) => [s, k as NodeKind]));

export const defaultList = (overrides: Partial<ListState> = {}): ListState => ({
  type: '',
  filter: '',
  sort: 'ID',
  asc: false,
  size: DEFAULT_PAGE_SIZE,
  tokens: [],
  ...overrides,
});

const isId = (s: string | undefined): s is string => s !== undefined && /^[1-9][0-9]{0,18}$/.test(s);
const isNodeKey = (s: string | null | undefined): s is NodeKey => !!s && /^[ae]:[1-9][0-9]{0,18}$/.test(s);

function parseList(q: URLSearchParams): ListState {
  const size = Number(q.get('size'));
  const sort = q.get('sort') as SortField;
  return {
    type: q.get('type') ?? '',
    filter: q.get('filter') ?? '',
    sort: SORTS.includes(sort) ? sort : 'ID',
    asc: q.get('asc') === '1',
    size: (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE,
    tokens: q.getAll('page'),
  };
}

function parseLineage(start: NodeKey, q: URLSearchParams): LineageState {
  const hops = Number(q.get('hops') ?? 2);
  const direction = q.get('dir') as Direction;
  const path = (q.get('path') ?? '').split('~');
  return {
    start,
    hops: Number.isInteger(hops) && hops >= 1 && hops <= MAX_HOPS ? hops : 2,
    direction: DIRECTIONS.includes(direction) ? direction : 'both',
    expanded: (q.get('expand') ?? '').split(',').filter(isNodeKey),
    path: path.length === 2 && isNodeKey(path[0]) && isNodeKey(path[1]) ? [path[0], path[1]] : undefined,
  };
}

/** The route a fragment (`#/...`, with or without the `#`) names. */
export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '') || '/';
  const [pathPart, queryPart = ''] = text.split('?', 2);
  const q = new URLSearchParams(queryPart);
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, third] = parts;
  if (parts.length === 0) return { view: 'home' };
  if (first === 'pipelines' && parts.length === 1) return { view: 'pipelines' };
  if (first === 'pipelines' && parts.length === 2) return { view: 'pipeline', name: second };
  const kind = SEGMENT_KIND.get(first);
  if (kind && parts.length === 1) return { view: 'list', kind, list: parseList(q) };
  if (kind && parts.length === 2 && isId(second)) return { view: 'node', kind, id: second };
  if (first === 'lineage' && parts.length === 3 && (second === 'artifact' || second === 'execution') && isId(third)) {
    return { view: 'lineage', lineage: parseLineage(`${second === 'artifact' ? 'a' : 'e'}:${third}`, q) };
  }
  if (first === 'models' && parts.length === 2 && isId(second)) return { view: 'model', id: second };
  return { view: 'not-found', path: text };
}

function listQuery(list: ListState): URLSearchParams {
  const q = new URLSearchParams();
  if (list.type) q.set('type', list.type);
  if (list.filter) q.set('filter', list.filter);
  if (list.sort !== 'ID') q.set('sort', list.sort);
  if (list.asc) q.set('asc', '1');
  if (list.size !== DEFAULT_PAGE_SIZE) q.set('size', String(list.size));
  for (const t of list.tokens) q.append('page', t);
  return q;
}

function withQuery(path: string, q: URLSearchParams): string {
  const s = q.toString();
  return s ? `#${path}?${s}` : `#${path}`;
}

/** The fragment (with `#`) that opens a route. */
export function routeHref(route: Route): string {
  switch (route.view) {
    case 'home':
      return '#/';
    case 'pipelines':
      return '#/pipelines';
    case 'pipeline':
      return `#/pipelines/${encodeURIComponent(route.name)}`;
    case 'list':
      return withQuery(`/${KIND_SEGMENT[route.kind]}`, listQuery(route.list));
    case 'node':
      return `#/${KIND_SEGMENT[route.kind]}/${route.id}`;
    case 'model':
      return `#/models/${route.id}`;
    case 'lineage': {
      const l = route.lineage;
      const q = new URLSearchParams();
      q.set('hops', String(l.hops));
      q.set('dir', l.direction);
      if (l.expanded.length) q.set('expand', l.expanded.join(','));
      if (l.path) q.set('path', l.path.join('~'));
      const [k, id] = l.start.split(':');
      return withQuery(`/lineage/${k === 'a' ? 'artifact' : 'execution'}/${id}`, q);
    }
    case 'not-found':
      return `#${route.path}`;
  }
}

/** Shorthands for the links views build most. */
export const hrefs = {
  node: (kind: NodeKind, id: bigint | string | undefined) => routeHref({ view: 'node', kind, id: String(id) }),
  list: (kind: NodeKind, list: Partial<ListState> = {}) => routeHref({ view: 'list', kind, list: defaultList(list) }),
  lineage: (start: NodeKey, overrides: Partial<LineageState> = {}) =>
    routeHref({ view: 'lineage', lineage: { start, hops: 2, direction: 'both', expanded: [], ...overrides } }),
  model: (id: bigint | string | undefined) => routeHref({ view: 'model', id: String(id) }),
  pipeline: (name: string) => routeHref({ view: 'pipeline', name }),
};

/** Opens a route as a new history entry (Back returns to the previous view). */
export function navigate(route: Route): void {
  location.hash = routeHref(route);
}

/** The current route and the fragment it was read from, re-read on every change (links, back and forward). */
export function useRoute(): { route: Route; hash: string } {
  const [current, setCurrent] = useState(() => ({ route: parseRoute(location.hash), hash: location.hash }));
  useEffect(() => {
    const onChange = () => setCurrent({ route: parseRoute(location.hash), hash: location.hash });
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return current;
}

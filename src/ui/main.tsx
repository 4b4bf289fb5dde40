/**
 * The web UI's entry: the app shell (header, navigation, main region) and the view the URL names. Built by
 * scripts/build-ui.ts into dist/ui and served at `/` of the HTTP listener; it reads the store through gRPC-Web only.
 */
import { render } from 'preact';
import './styles.css';
import { defaultList, routeHref, useRoute, type Route } from './router';
import { Home } from './views/Home';
import { LineagePage } from './views/LineagePage';
import { ListView } from './views/ListView';
import { ModelCard } from './views/ModelCard';
import { NodeDetail } from './views/NodeDetail';
import { NotFound } from './views/NotFound';
import { Pipeline } from './views/Pipeline';
import { Pipelines } from './views/Pipelines';

const NAV: [string, Route][] = [
  ['Overview', { view: 'home' }],
  ['Pipelines', { view: 'pipelines' }],
  ['Contexts', { view: 'list', kind: 'context', list: defaultList() }],
  ['Executions', { view: 'list', kind: 'execution', list: defaultList() }],
  ['Artifacts', { view: 'list', kind: 'artifact', list: defaultList() }],
];

/** The navigation entry a route belongs to (for aria-current). */
function section(route: Route): string {
  if (route.view === 'pipelines' || route.view === 'pipeline') return 'Pipelines';
  if (route.view === 'list' || route.view === 'node') {
    return { artifact: 'Artifacts', execution: 'Executions', context: 'Contexts' }[route.kind];
  }
  return route.view === 'home' ? 'Overview' : '';
}

function View(props: { route: Route }) {
  const r = props.route;
  switch (r.view) {
    case 'home':
      return <Home />;
    case 'pipelines':
      return <Pipelines />;
    case 'pipeline':
      return <Pipeline name={r.name} />;
    case 'list':
      return <ListView kind={r.kind} list={r.list} />;
    case 'node':
      return <NodeDetail kind={r.kind} id={r.id} />;
    case 'lineage':
      return <LineagePage lineage={r.lineage} />;
    case 'model':
      return <ModelCard id={r.id} />;
    case 'not-found':
      return <NotFound path={r.path} />;
  }
}

function App() {
  const { route, hash } = useRoute();
  const current = section(route);
  return (
    // data-route: the fragment this render shows (tests and the benchmark wait for it after navigating).
    <div class="app" data-route={hash}>
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('page-title')?.focus())}
      >
        Skip to content
      </a>
      <header class="app-header">
        <a class="brand" href="#/">
          cmf-mlmd
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([label, target]) => (
              <li key={label}>
                <a href={routeHref(target)} aria-current={label === current ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main">
        <View route={route} />
      </main>
    </div>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the boot message
render(<App />, root);

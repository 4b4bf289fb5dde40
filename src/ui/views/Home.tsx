/**
 * The start page: what the store holds, by type, each a link to its table; for any MLMD store (Kubeflow, TFX) the
 * context types are the way in, for CMF the pipelines.
 */
import { cmf, typeNames } from '../api';
import { Page } from '../components/Page';
import { Failure, Loading } from '../components/Status';
import { hrefs, type NodeKind } from '../router';
import { useAsync } from '../use-async';

async function loadOverview() {
  const [artifact, execution, context, pipelines] = await Promise.all([
    typeNames('artifact'),
    typeNames('execution'),
    typeNames('context'),
    cmf.getPipelineNames({}).then((r) => r.names ?? []),
  ]);
  return { types: { artifact, execution, context } as Record<NodeKind, string[]>, pipelines };
}

const SECTIONS: [NodeKind, string][] = [
  ['context', 'Contexts by type'],
  ['execution', 'Executions by type'],
  ['artifact', 'Artifacts by type'],
];

export function Home() {
  const overview = useAsync(loadOverview, []);
  return (
    <Page title="Overview">
      {overview.state === 'loading' && <Loading what="the store's overview" />}
      {overview.state === 'failed' && <Failure error={overview.error} retry={overview.reload} />}
      {overview.state === 'done' && (
        <div class="overview">
          <section aria-labelledby="pipelines-heading">
            <h2 id="pipelines-heading">CMF pipelines ({overview.value.pipelines.length})</h2>
            {overview.value.pipelines.length === 0 ? (
              <p class="empty">No CMF pipelines in this store.</p>
            ) : (
              <ul>
                {overview.value.pipelines.map((p) => (
                  <li key={p}>
                    <a href={hrefs.pipeline(p)}>{p}</a>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {SECTIONS.map(([kind, title]) => (
            <section key={kind} aria-labelledby={`${kind}-types`}>
              <h2 id={`${kind}-types`}>
                {title} ({overview.value.types[kind].length})
              </h2>
              <p>
                <a href={hrefs.list(kind)}>All {kind}s</a>
              </p>
              <ul>
                {overview.value.types[kind].map((t) => (
                  <li key={t}>
                    <a href={hrefs.list(kind, { type: t })}>{t}</a>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
    </Page>
  );
}

/** CMF pipelines (cmf.v1.CmfService GetPipelineNames), each a link to its stages and executions. */
import { cmf } from '../api';
import { Page } from '../components/Page';
import { Failure, Loading } from '../components/Status';
import { hrefs } from '../router';
import { useAsync } from '../use-async';

export function Pipelines() {
  const names = useAsync(() => cmf.getPipelineNames({}).then((r) => r.names ?? []), []);
  return (
    <Page title="CMF pipelines">
      {names.state === 'loading' && <Loading what="pipelines" />}
      {names.state === 'failed' && <Failure error={names.error} retry={names.reload} what="pipelines" />}
      {names.state === 'done' &&
        (names.value.length === 0 ? (
          <p class="empty">
            No CMF pipelines in this store. Other MLMD stores are browsable by{' '}
            <a href={hrefs.list('context')}>contexts</a>.
          </p>
        ) : (
          <ul class="pipelines" data-testid="pipelines">
            {names.value.map((n) => (
              <li key={n}>
                <a href={hrefs.pipeline(n)}>{n}</a>
              </li>
            ))}
          </ul>
        ))}
    </Page>
  );
}

/**
 * One CMF pipeline: its stages (cmf.v1 GetPipelineStages) and each stage's executions (GetExecutionsInStage, paged
 * in place), with their parameters at a glance; every execution links to its page (parameters, metrics, lineage).
 */
import { useState } from 'preact/hooks';
import type { Context, Execution } from '../../../generated/ml_metadata/proto/metadata_store';
import { cmf } from '../api';
import { Page } from '../components/Page';
import { Failure, Loading } from '../components/Status';
import { nodeLabel, showExecutionState, showTime, showValue } from '../format';
import { hrefs } from '../router';
import { useAsync } from '../use-async';

const STAGE_PAGE = 50;

function parameters(e: Execution): string {
  return Object.entries(e.customProperties ?? {})
    .map(([k, v]) => `${k}=${showValue(v).text}`)
    .join(', ');
}

function StageExecutions(props: { stage: Context }) {
  const stageName = props.stage.name ?? '';
  const [pages, setPages] = useState<string[]>(['']);
  const loaded = useAsync(async () => {
    const all: Execution[] = [];
    let next = '';
    for (const token of pages) {
      const r = await cmf.getExecutionsInStage({
        stageName,
        page: { pageSize: STAGE_PAGE, pageToken: token || undefined },
      });
      all.push(...(r.executions ?? []));
      next = r.nextPageToken ?? '';
    }
    return { executions: all, next };
  }, [stageName, pages.join('|')]);
  return (
    <section class="stage" aria-label={`Stage ${stageName}`} data-stage={stageName}>
      <h2>
        Stage <a href={hrefs.node('context', props.stage.id)}>{stageName}</a>
      </h2>
      {loaded.state === 'loading' && <Loading what={`executions of ${stageName}`} />}
      {loaded.state === 'failed' && <Failure error={loaded.error} retry={loaded.reload} />}
      {loaded.state === 'done' && (
        <>
          <table class="nodes" aria-label={`Executions of ${stageName}`}>
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Execution</th>
                <th scope="col">State</th>
                <th scope="col">Parameters</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {loaded.value.executions.length === 0 ? (
                <tr>
                  <td colSpan={5} class="empty">
                    No executions yet.
                  </td>
                </tr>
              ) : (
                loaded.value.executions.map((e) => (
                  <tr key={String(e.id)} data-id={String(e.id)}>
                    <td>
                      <a href={hrefs.node('execution', e.id)}>{String(e.id)}</a>
                    </td>
                    <td>
                      <a href={hrefs.node('execution', e.id)}>{nodeLabel(e)}</a>
                    </td>
                    <td>{showExecutionState(e)}</td>
                    <td class="params">{parameters(e)}</td>
                    <td>{showTime(e.createTimeSinceEpoch)}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
          {loaded.value.next && (
            <button type="button" onClick={() => setPages([...pages, loaded.value.next])}>
              Show {STAGE_PAGE} more executions
            </button>
          )}
        </>
      )}
    </section>
  );
}

export function Pipeline(props: { name: string }) {
  const stages = useAsync(
    () => cmf.getPipelineStages({ pipelineName: props.name }).then((r) => r.stages ?? []),
    [props.name],
  );
  return (
    <Page title={`Pipeline ${props.name}`}>
      {stages.state === 'loading' && <Loading what="stages" />}
      {stages.state === 'failed' && <Failure error={stages.error} retry={stages.reload} what="the pipeline" />}
      {stages.state === 'done' &&
        (stages.value.length === 0 ? (
          <p class="empty">This pipeline has no stages yet.</p>
        ) : (
          stages.value.map((s) => <StageExecutions key={String(s.id)} stage={s} />)
        ))}
    </Page>
  );
}

/** Metrics artifacts and their values (CMF's execution metrics, Kubeflow's system.Metrics) as one table. */
import type { Artifact } from '../../../generated/ml_metadata/proto/metadata_store';
import { nodeLabel, showValue } from '../format';
import { hrefs } from '../router';

export function Metrics(props: { artifacts: readonly Artifact[]; caption?: string }) {
  const rows = props.artifacts.flatMap((a) =>
    Object.entries(a.customProperties ?? {}).map(([name, v]) => ({ a, name, shown: showValue(v) })),
  );
  return (
    <table class="metrics" data-testid="metrics">
      <caption>
        {props.caption ?? 'Metrics'} ({props.artifacts.length} artifacts)
      </caption>
      <thead>
        <tr>
          <th scope="col">Metrics artifact</th>
          <th scope="col">Metric</th>
          <th scope="col">Type</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={4} class="empty">
              none
            </td>
          </tr>
        ) : (
          rows.map(({ a, name, shown }) => (
            <tr key={`${a.id}/${name}`}>
              <td>
                <a href={hrefs.node('artifact', a.id)}>{nodeLabel(a)}</a>
              </td>
              <th scope="row">{name}</th>
              <td class="type">{shown.type}</td>
              <td class="value">{shown.text}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}

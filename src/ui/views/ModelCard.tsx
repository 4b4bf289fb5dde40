/**
 * A model card: the model, the execution that produced it (with its parameters), that execution's inputs (the data
 * it was trained on), its metrics, and the metrics of executions that later read the model (evaluations). Plain MLMD
 * reads, so CMF, Kubeflow and TFX models all have one.
 */
import type { Artifact, Event, Execution } from '../../../generated/ml_metadata/proto/metadata_store';
import { artifactsById, executionsById, mlmd } from '../api';
import { NOT_FOUND, RpcFailure } from '../api/grpc-web-client';
import { Page } from '../components/Page';
import { Metrics } from '../components/Metrics';
import { Properties } from '../components/Properties';
import { Failure, Loading } from '../components/Status';
import { Summary } from '../components/Summary';
import { nodeLabel, showExecutionState, showTime } from '../format';
import { isInput } from '../events';
import { isMetricsType, isModelType } from '../node-types';
import { hrefs } from '../router';
import { useAsync } from '../use-async';

async function eventsOfExecutions(ids: bigint[]): Promise<Event[]> {
  return ids.length ? ((await mlmd.getEventsByExecutionIDs({ executionIds: ids })).events ?? []) : [];
}

async function loadCard(id: bigint) {
  const [model] = await artifactsById([id]);
  if (!model) throw new RpcFailure(NOT_FOUND, `No artifact with id ${id}`, '');
  const own = (await mlmd.getEventsByArtifactIDs({ artifactIds: [id] })).events ?? [];
  const producerIds = [...new Set(own.filter((e) => !isInput(e)).map((e) => e.executionId!))];
  const consumerIds = [...new Set(own.filter(isInput).map((e) => e.executionId!))];
  const [producers, producerEvents, consumerEvents] = await Promise.all([
    executionsById(producerIds),
    eventsOfExecutions(producerIds),
    eventsOfExecutions(consumerIds),
  ]);
  const inputIds = producerEvents.filter(isInput).map((e) => e.artifactId!);
  const outputIds = [...producerEvents, ...consumerEvents].filter((e) => !isInput(e)).map((e) => e.artifactId!);
  const related = new Map(
    (await artifactsById([...new Set([...inputIds, ...outputIds])])).map((a): [bigint, Artifact] => [a.id!, a]),
  );
  const metricsOf = (events: Event[]) =>
    [...new Set(events.filter((e) => !isInput(e)).map((e) => e.artifactId!))]
      .map((a) => related.get(a))
      .filter((a): a is Artifact => a !== undefined && isMetricsType(a.type));
  return {
    model,
    producers,
    inputs: [...new Set(inputIds)].map((a) => related.get(a)).filter((a): a is Artifact => a !== undefined),
    metrics: metricsOf(producerEvents),
    evaluations: metricsOf(consumerEvents),
  };
}

function Producer(props: { execution: Execution }) {
  const e = props.execution;
  return (
    <div class="producer">
      <Summary
        facts={[
          ['Execution', <a href={hrefs.node('execution', e.id)}>{nodeLabel(e)}</a>],
          ['Type', e.type],
          ['State', showExecutionState(e)],
          ['Created', showTime(e.createTimeSinceEpoch)],
        ]}
      />
      <Properties
        properties={e.properties}
        customProperties={e.customProperties}
        propertiesCaption="Execution properties"
        customCaption="Parameters (custom properties)"
      />
    </div>
  );
}

export function ModelCard(props: { id: string }) {
  const card = useAsync(() => loadCard(BigInt(props.id)), [props.id]);
  if (card.state !== 'done') {
    return (
      <Page title={`Model card ${props.id}`}>
        {card.state === 'loading' ? (
          <Loading what="the model card" />
        ) : (
          <Failure error={card.error} retry={card.reload} what="the model card" />
        )}
      </Page>
    );
  }
  const { model, producers, inputs, metrics, evaluations } = card.value;
  return (
    <Page title={`Model card: ${nodeLabel(model)}`}>
      {!isModelType(model.type) && (
        <p class="note">
          Artifact {String(model.id)} is of type {model.type}, not a model type; the card shows it all the same.
        </p>
      )}
      <section aria-labelledby="model-heading">
        <h2 id="model-heading">Model</h2>
        <Summary
          facts={[
            ['Artifact', <a href={hrefs.node('artifact', model.id)}>{nodeLabel(model)}</a>],
            ['Type', model.type],
            ['URI', model.uri && <span class="uri">{model.uri}</span>],
            ['Created', showTime(model.createTimeSinceEpoch)],
          ]}
        />
        <p class="actions">
          <a class="button" href={hrefs.lineage(`a:${model.id}`, { direction: 'upstream', hops: 4 })}>
            Upstream lineage
          </a>
        </p>
        <Properties properties={model.properties} customProperties={model.customProperties} />
      </section>
      <section aria-labelledby="producer-heading" data-testid="producer">
        <h2 id="producer-heading">Produced by</h2>
        {producers.length === 0 ? (
          <p class="empty">No execution recorded as producing this model.</p>
        ) : (
          producers.map((e) => <Producer key={String(e.id)} execution={e} />)
        )}
      </section>
      <section aria-labelledby="inputs-heading" data-testid="inputs">
        <h2 id="inputs-heading">Inputs of the producing execution ({inputs.length})</h2>
        {inputs.length === 0 ? (
          <p class="empty">none</p>
        ) : (
          <ul>
            {inputs.map((a) => (
              <li key={String(a.id)}>
                <a href={hrefs.node('artifact', a.id)}>{nodeLabel(a)}</a> <span class="type-tag">{a.type}</span>{' '}
                <span class="uri">{a.uri}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <Metrics artifacts={metrics} caption="Metrics of the producing execution" />
      <Metrics artifacts={evaluations} caption="Metrics of executions that read the model" />
    </Page>
  );
}

/**
 * One artifact, execution or context: its facts, properties and custom properties (with their types), the events
 * that link it, its contexts (or, for a context, its parents, children and members), each a link to its own page.
 */
import {
  ListOperationOptions_OrderByField_Field as OrderField,
  type Artifact,
  type Context,
  type Event,
  type Execution,
} from '../../../generated/ml_metadata/proto/metadata_store';
import { artifactsById, executionsById, mlmd } from '../api';
import { NOT_FOUND, RpcFailure } from '../api/grpc-web-client';
import { NodeList } from '../components/NodeList';
import { Page } from '../components/Page';
import { Metrics } from '../components/Metrics';
import { Properties } from '../components/Properties';
import { Failure, Loading } from '../components/Status';
import { Summary } from '../components/Summary';
import { nodeLabel, showArtifactState, showEventPath, showEventType, showExecutionState, showTime } from '../format';
import { isInput } from '../events';
import { isMetricsType, isModelType } from '../node-types';
import { hrefs, type NodeKind } from '../router';
import { useAsync } from '../use-async';

const TITLE: Record<NodeKind, string> = { artifact: 'Artifact', execution: 'Execution', context: 'Context' };

export function NodeDetail(props: { kind: NodeKind; id: string }) {
  const { kind, id } = props;
  const loaded = useAsync(() => loadDetail(kind, BigInt(id)), [kind, id]);
  const title = `${TITLE[kind]} ${id}`;
  if (loaded.state === 'loading')
    return (
      <Page title={title}>
        <Loading what={title.toLowerCase()} />
      </Page>
    );
  if (loaded.state === 'failed')
    return (
      <Page title={title}>
        <Failure error={loaded.error} retry={loaded.reload} what={title.toLowerCase()} />
      </Page>
    );
  const d = loaded.value;
  return (
    <Page title={`${title}: ${nodeLabel(d.node)}`} heading={<HeadingOf kind={kind} node={d.node} />}>
      {d.kind === 'artifact' && <ArtifactBody d={d} />}
      {d.kind === 'execution' && <ExecutionBody d={d} />}
      {d.kind === 'context' && <ContextBody d={d} />}
    </Page>
  );
}

function HeadingOf(props: { kind: NodeKind; node: Artifact | Execution | Context }) {
  return (
    <>
      <span class="kind-tag">{TITLE[props.kind]}</span> {nodeLabel(props.node)}
    </>
  );
}

type Detail =
  | {
      kind: 'artifact';
      node: Artifact;
      events: Event[];
      executions: Map<bigint, Execution>;
      contexts: Context[];
    }
  | {
      kind: 'execution';
      node: Execution;
      events: Event[];
      artifacts: Map<bigint, Artifact>;
      contexts: Context[];
    }
  | {
      kind: 'context';
      node: Context;
      parents: Context[];
      children: Context[];
      executions: Execution[];
      artifacts: Artifact[];
      moreExecutions: boolean;
      moreArtifacts: boolean;
    };

/** How many members of a context its page lists; the rest are a link to the filtered table. */
const MEMBERS_SHOWN = 20;

async function loadDetail(kind: NodeKind, id: bigint): Promise<Detail> {
  const missing = () => new RpcFailure(NOT_FOUND, `No ${kind} with id ${id}`, '');
  if (kind === 'artifact') {
    const [node] = await artifactsById([id]);
    if (!node) throw missing();
    const [events, contexts] = await Promise.all([
      mlmd.getEventsByArtifactIDs({ artifactIds: [id] }).then((r) => r.events ?? []),
      mlmd.getContextsByArtifact({ artifactId: id }).then((r) => r.contexts ?? []),
    ]);
    const executions = await executionsById([...new Set(events.map((e) => e.executionId!))]);
    return { kind, node, events, executions: new Map(executions.map((e) => [e.id!, e])), contexts };
  }
  if (kind === 'execution') {
    const [node] = await executionsById([id]);
    if (!node) throw missing();
    const [events, contexts] = await Promise.all([
      mlmd.getEventsByExecutionIDs({ executionIds: [id] }).then((r) => r.events ?? []),
      mlmd.getContextsByExecution({ executionId: id }).then((r) => r.contexts ?? []),
    ]);
    const artifacts = await artifactsById([...new Set(events.map((e) => e.artifactId!))]);
    return { kind, node, events, artifacts: new Map(artifacts.map((a) => [a.id!, a])), contexts };
  }
  const [node] = (await mlmd.getContextsById({ contextIds: [id] })).contexts ?? [];
  if (!node) throw missing();
  const options = { maxResultSize: MEMBERS_SHOWN, orderByField: { field: OrderField.ID, isAsc: true } };
  const [parents, children, executions, artifacts] = await Promise.all([
    mlmd.getParentContextsByContext({ contextId: id }).then((r) => r.contexts ?? []),
    mlmd.getChildrenContextsByContext({ contextId: id }).then((r) => r.contexts ?? []),
    mlmd.getExecutionsByContext({ contextId: id, options }),
    mlmd.getArtifactsByContext({ contextId: id, options }),
  ]);
  return {
    kind,
    node,
    parents,
    children,
    executions: executions.executions ?? [],
    artifacts: artifacts.artifacts ?? [],
    moreExecutions: !!executions.nextPageToken,
    moreArtifacts: !!artifacts.nextPageToken,
  };
}

function ArtifactBody(props: { d: Extract<Detail, { kind: 'artifact' }> }) {
  const { node, events, executions, contexts } = props.d;
  return (
    <>
      <Summary
        facts={[
          ['ID', String(node.id)],
          ['Type', <a href={hrefs.list('artifact', { type: node.type })}>{node.type}</a>],
          ['Name', node.name],
          ['URI', node.uri && <span class="uri">{node.uri}</span>],
          ['State', showArtifactState(node)],
          ['External ID', node.externalId],
          ['Created', showTime(node.createTimeSinceEpoch)],
          ['Updated', showTime(node.lastUpdateTimeSinceEpoch)],
        ]}
      />
      <p class="actions">
        <a class="button" href={hrefs.lineage(`a:${node.id}`)}>
          Lineage graph
        </a>
        {isModelType(node.type) && (
          <a class="button" href={hrefs.model(node.id)}>
            Model card
          </a>
        )}
      </p>
      <Properties properties={node.properties} customProperties={node.customProperties} />
      <EventTable
        caption="Events (executions that used or produced it)"
        events={events}
        other={(e) => executions.get(e.executionId!)}
        otherKind="execution"
      />
      <NodeList title="Contexts" kind="context" nodes={contexts} testId="contexts" />
    </>
  );
}

function ExecutionBody(props: { d: Extract<Detail, { kind: 'execution' }> }) {
  const { node, events, artifacts, contexts } = props.d;
  const metrics = events
    .filter((e) => !isInput(e))
    .map((e) => artifacts.get(e.artifactId!))
    .filter((a): a is Artifact => a !== undefined && isMetricsType(a.type));
  return (
    <>
      <Summary
        facts={[
          ['ID', String(node.id)],
          ['Type', <a href={hrefs.list('execution', { type: node.type })}>{node.type}</a>],
          ['Name', node.name],
          ['State', showExecutionState(node)],
          ['External ID', node.externalId],
          ['Created', showTime(node.createTimeSinceEpoch)],
          ['Updated', showTime(node.lastUpdateTimeSinceEpoch)],
        ]}
      />
      <p class="actions">
        <a class="button" href={hrefs.lineage(`e:${node.id}`)}>
          Lineage graph
        </a>
      </p>
      <Properties
        properties={node.properties}
        customProperties={node.customProperties}
        customCaption="Custom properties (CMF: parameters)"
      />
      <Metrics artifacts={metrics} />
      <EventTable
        caption="Events (artifacts it read and wrote)"
        events={events}
        other={(e) => artifacts.get(e.artifactId!)}
        otherKind="artifact"
      />
      <NodeList title="Contexts" kind="context" nodes={contexts} testId="contexts" />
    </>
  );
}

function EventTable(props: {
  caption: string;
  events: readonly Event[];
  other: (e: Event) => Artifact | Execution | undefined;
  otherKind: 'artifact' | 'execution';
}) {
  return (
    <table class="events" data-testid="events">
      <caption>
        {props.caption} ({props.events.length})
      </caption>
      <thead>
        <tr>
          <th scope="col">{props.otherKind === 'artifact' ? 'Artifact' : 'Execution'}</th>
          <th scope="col">Type</th>
          <th scope="col">Event</th>
          <th scope="col">Path</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {props.events.length === 0 ? (
          <tr>
            <td colSpan={5} class="empty">
              none
            </td>
          </tr>
        ) : (
          props.events.map((e, i) => {
            const node = props.other(e);
            const id = props.otherKind === 'artifact' ? e.artifactId : e.executionId;
            return (
              <tr key={i}>
                <td>
                  <a href={hrefs.node(props.otherKind, id)}>{node ? nodeLabel(node) : `#${id}`}</a>
                </td>
                <td>{node?.type}</td>
                <td>{showEventType(e)}</td>
                <td>{showEventPath(e)}</td>
                <td>{showTime(e.millisecondsSinceEpoch)}</td>
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}

function ContextBody(props: { d: Extract<Detail, { kind: 'context' }> }) {
  const { node, parents, children, executions, artifacts, moreExecutions, moreArtifacts } = props.d;
  const members = `contexts_a.id = ${node.id}`;
  return (
    <>
      <Summary
        facts={[
          ['ID', String(node.id)],
          ['Type', <a href={hrefs.list('context', { type: node.type })}>{node.type}</a>],
          ['Name', node.name],
          ['External ID', node.externalId],
          ['Created', showTime(node.createTimeSinceEpoch)],
          ['Updated', showTime(node.lastUpdateTimeSinceEpoch)],
        ]}
      />
      {node.type === 'Parent_Context' && node.name && (
        <p class="actions">
          <a class="button" href={hrefs.pipeline(node.name)}>
            CMF pipeline view
          </a>
        </p>
      )}
      <Properties properties={node.properties} customProperties={node.customProperties} />
      <div class="columns">
        <NodeList title="Parent contexts" kind="context" nodes={parents} testId="parents" />
        <NodeList title="Child contexts" kind="context" nodes={children} testId="children" />
      </div>
      <div class="columns">
        <div>
          <NodeList
            title="Executions"
            kind="execution"
            nodes={executions}
            more={moreExecutions}
            testId="member-executions"
          />
          <p>
            <a href={hrefs.list('execution', { filter: members })}>
              {moreExecutions ? 'All executions of this context' : 'As a table'}
            </a>
          </p>
        </div>
        <div>
          <NodeList
            title="Artifacts"
            kind="artifact"
            nodes={artifacts}
            more={moreArtifacts}
            testId="member-artifacts"
          />
          <p>
            <a href={hrefs.list('artifact', { filter: members })}>
              {moreArtifacts ? 'All artifacts of this context' : 'As a table'}
            </a>
          </p>
        </div>
      </div>
    </>
  );
}

/** The artifacts, executions or contexts table as a page of its own. */
import { NodeTable } from '../components/NodeTable';
import { Page } from '../components/Page';
import type { ListState, NodeKind } from '../router';

const TITLES: Record<NodeKind, string> = { artifact: 'Artifacts', execution: 'Executions', context: 'Contexts' };

export function ListView(props: { kind: NodeKind; list: ListState }) {
  const title = props.list.type ? `${TITLES[props.kind]} of type ${props.list.type}` : TITLES[props.kind];
  return (
    <Page title={title}>
      <NodeTable kind={props.kind} list={props.list} />
    </Page>
  );
}

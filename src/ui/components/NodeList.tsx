/** Linked nodes (contexts of an artifact, parents of a context...) as a short list of links with their types. */
import type { Context } from '../../../generated/ml_metadata/proto/metadata_store';
import { nodeLabel } from '../format';
import { hrefs, type NodeKind } from '../router';
import type { MlmdNode } from '../api';

export function NodeList(props: {
  title: string;
  kind: NodeKind;
  nodes: readonly MlmdNode[] | readonly Context[];
  more?: boolean;
  testId?: string;
}) {
  return (
    <section class="node-list" aria-label={props.title} data-testid={props.testId}>
      <h2>
        {props.title} ({props.nodes.length}
        {props.more ? '+' : ''})
      </h2>
      {props.nodes.length === 0 ? (
        <p class="empty">none</p>
      ) : (
        <ul>
          {props.nodes.map((n) => (
            <li key={String(n.id)}>
              <a href={hrefs.node(props.kind, n.id)}>{nodeLabel(n)}</a> <span class="type-tag">{n.type}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The header facts of one node as a description list (label, value), skipping facts it does not have. */
import type { ComponentChildren } from 'preact';

export function Summary(props: { facts: [string, ComponentChildren][] }) {
  return (
    <dl class="summary" data-testid="summary">
      {props.facts
        .filter(([, v]) => v !== undefined && v !== '' && v !== null)
        .map(([label, value]) => (
          <div key={label} class="fact">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

/** A node's properties and custom properties, each with its value's type, as two labelled tables. */
import type { Value } from '../../../generated/ml_metadata/proto/metadata_store';
import { showValue } from '../format';

function PropertyTable(props: { caption: string; values: Record<string, Value> | undefined; testId: string }) {
  const entries = Object.entries(props.values ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    <table class="properties" data-testid={props.testId}>
      <caption>
        {props.caption} ({entries.length})
      </caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.length === 0 ? (
          <tr>
            <td colSpan={3} class="empty">
              none
            </td>
          </tr>
        ) : (
          entries.map(([name, value]) => {
            const shown = showValue(value);
            return (
              <tr key={name} data-property={name}>
                <th scope="row">{name}</th>
                <td class="type">{shown.type}</td>
                <td class="value">{shown.text}</td>
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}

export function Properties(props: {
  properties?: Record<string, Value>;
  customProperties?: Record<string, Value>;
  propertiesCaption?: string;
  customCaption?: string;
}) {
  return (
    <div class="property-tables">
      <PropertyTable caption={props.propertiesCaption ?? 'Properties'} values={props.properties} testId="properties" />
      <PropertyTable
        caption={props.customCaption ?? 'Custom properties'}
        values={props.customProperties}
        testId="custom-properties"
      />
    </div>
  );
}

/**
 * How values look on screen: MLMD's property values with their type, times, enum names. Text only (views render it
 * as text nodes, never as HTML).
 */
import {
  artifact_StateToJSON,
  event_TypeToJSON,
  execution_StateToJSON,
  type Artifact,
  type Context,
  type Event,
  type Execution,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';

export interface ShownValue {
  /** MLMD's name of the value's type: INT, DOUBLE, STRING, STRUCT, PROTO, BOOLEAN. */
  type: string;
  text: string;
}

function jsonText(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function showValue(v: Value | undefined): ShownValue {
  const x = v?.value;
  switch (x?.$case) {
    case 'intValue':
      return { type: 'INT', text: x.value.toString() };
    case 'doubleValue':
      return { type: 'DOUBLE', text: String(x.value) };
    case 'stringValue':
      return { type: 'STRING', text: x.value };
    case 'boolValue':
      return { type: 'BOOLEAN', text: String(x.value) };
    case 'structValue':
      return { type: 'STRUCT', text: jsonText(x.value) };
    case 'protoValue':
      return { type: 'PROTO', text: `${x.value.typeUrl ?? '?'} (${x.value.value?.length ?? 0} bytes)` };
    default:
      return { type: 'UNSET', text: '' };
  }
}

/** Milliseconds since the epoch as a local date and time (ISO-like, sortable); empty when unset. */
export function showTime(ms: bigint | number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return String(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export const showExecutionState = (e: Execution) =>
  e.lastKnownState === undefined ? '' : execution_StateToJSON(e.lastKnownState);
export const showArtifactState = (a: Artifact) => (a.state === undefined ? '' : artifact_StateToJSON(a.state));
export const showEventType = (e: Event) => (e.type === undefined ? '' : event_TypeToJSON(e.type));

/** What names a node on screen: its name, else a KFP display name, else its type and id. */
export function nodeLabel(node: Artifact | Execution | Context): string {
  if (node.name) return node.name;
  const custom = node.customProperties ?? {};
  for (const key of ['display_name', 'task_name', 'name']) {
    const v = custom[key]?.value;
    if (v?.$case === 'stringValue' && v.value) return v.value;
  }
  return `${node.type ?? 'node'} #${node.id}`;
}

/** An event's path (e.g. `examples[0]`), as MLMD's steps spell it. */
export function showEventPath(e: Event): string {
  return (e.path?.steps ?? [])
    .map((s) => (s.value?.$case === 'key' ? s.value.value : s.value?.$case === 'index' ? `[${s.value.value}]` : ''))
    .join('.')
    .replace(/\.\[/g, '[');
}

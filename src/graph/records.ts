/**
 * Records as the projection sees them, read by the MLMD domain's own readers (node-store.ts, event-reader.ts): one
 * loader per record kind, whatever reads it, and one place that knows each dialect's row order and value encoding.
 */
import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { loadEventRecords } from '../mlmd/event-reader';
import type { AnyNode } from '../mlmd/node-kinds';
import { loadNodesByIds } from '../mlmd/node-store';
import type { Tx } from '../storage/database';
import { idSet } from '../storage/sql';
import { type EventRecord, type Kind, type NodeRecord, type PlainValue, SPEC } from './model';

function toPlain(value: Value): PlainValue {
  const v = value.value;
  switch (v?.$case) {
    case 'intValue':
      return v.value;
    case 'doubleValue':
      return v.value;
    case 'stringValue':
      return v.value;
    case 'boolValue':
      return v.value;
    case 'structValue':
      return JSON.stringify(v.value ?? {});
    case 'protoValue':
      return v.value.typeUrl ?? '';
    default:
      return '';
  }
}

const plainMap = (m: { [key: string]: Value } | undefined): Map<string, PlainValue> =>
  new Map(Object.entries(m ?? {}).map(([k, v]) => [k, toPlain(v)]));

function toRecord(kind: Kind, n: AnyNode): NodeRecord {
  return {
    kind,
    id: n.id!,
    typeId: n.typeId!,
    type: n.type ?? '',
    name: n.name ?? null,
    uri: kind === 'artifact' ? (n.uri ?? null) : undefined,
    state: kind === 'artifact' ? (n.state ?? null) : kind === 'execution' ? (n.lastKnownState ?? null) : undefined,
    externalId: n.externalId ?? null,
    createTime: n.createTimeSinceEpoch ?? 0n,
    updateTime: n.lastUpdateTimeSinceEpoch ?? 0n,
    properties: plainMap(n.properties),
    custom: plainMap(n.customProperties),
  };
}

export async function loadNodes(tx: Tx, kind: Kind, ids: readonly bigint[]): Promise<Map<bigint, NodeRecord>> {
  const nodes = await loadNodesByIds(tx, SPEC[kind], ids);
  return new Map(nodes.map((n) => [n.id!, toRecord(kind, n)]));
}

export async function loadEvents(tx: Tx, ids: readonly bigint[]): Promise<EventRecord[]> {
  if (ids.length === 0) return [];
  const set = idSet(tx, ids);
  const records = await loadEventRecords(tx, `e.id IN (${set.sql})`, [set.param]);
  return records.map(({ id, event }) => ({
    id,
    artifactId: event.artifactId!,
    executionId: event.executionId!,
    type: event.type ?? 0,
    millis: event.millisecondsSinceEpoch ?? null,
    steps: (event.path?.steps ?? []).map((step) =>
      step.value?.$case === 'index' ? Number(step.value.value) : String(step.value?.value ?? ''),
    ),
  }));
}

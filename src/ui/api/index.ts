/**
 * The two services the UI reads, over gRPC-Web on the page's own origin, and the few questions views ask that need
 * more than one RPC. Every function here is a plain read: the UI never writes.
 */
import { CmfServiceService } from '../../../generated/cmf/v1/cmf_service';
import {
  ListOperationOptions_OrderByField_Field as OrderField,
  LineageSubgraphQueryOptions_Direction as LineageDirection,
  type Artifact,
  type Context,
  type Event,
  type Execution,
  type ListOperationOptions,
} from '../../../generated/ml_metadata/proto/metadata_store';
import { MetadataStoreServiceService } from '../../../generated/ml_metadata/proto/metadata_store_service';
import type { Direction, ListState, NodeKind } from '../router';
import { serviceClient } from './grpc-web-client';

/** Long enough for a 2,000-node lineage on a large store; short enough that a hung server shows an error. */
const DEADLINE_MS = 60_000;

/** Opened under `/t/<tenant>/`, the UI reads that tenant: its calls go under the same prefix (the server's rule). */
const TENANT_PREFIX = /^\/t\/[^/]+/.exec(location.pathname)?.[0] ?? '';

export const mlmd = serviceClient(MetadataStoreServiceService, { host: TENANT_PREFIX, deadlineMs: DEADLINE_MS });
export const cmf = serviceClient(CmfServiceService, { host: TENANT_PREFIX, deadlineMs: DEADLINE_MS });

export type MlmdNode = Artifact | Execution | Context;

export interface NodePage<T extends MlmdNode = MlmdNode> {
  rows: T[];
  nextPageToken: string;
}

/** A filter_query string literal: single quotes, backslash escapes (the query language's syntax). */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The filter_query a table sends: the chosen type, and what the user typed, both required. */
export function effectiveFilter(list: ListState): string {
  const parts = [];
  if (list.type) parts.push(`type = ${quote(list.type)}`);
  if (list.filter.trim()) parts.push(list.type ? `(${list.filter})` : list.filter);
  return parts.join(' AND ');
}

function listOptions(list: ListState): ListOperationOptions {
  const filter = effectiveFilter(list);
  return {
    maxResultSize: list.size,
    orderByField: { field: OrderField[list.sort], isAsc: list.asc },
    nextPageToken: list.tokens.length ? list.tokens[list.tokens.length - 1] : undefined,
    filterQuery: filter || undefined,
  };
}

/** One page of a table of artifacts, executions or contexts, through the server's page tokens. */
export async function listNodes(kind: NodeKind, list: ListState): Promise<NodePage> {
  const options = listOptions(list);
  if (kind === 'artifact') {
    const r = await mlmd.getArtifacts({ options });
    return { rows: r.artifacts ?? [], nextPageToken: r.nextPageToken ?? '' };
  }
  if (kind === 'execution') {
    const r = await mlmd.getExecutions({ options });
    return { rows: r.executions ?? [], nextPageToken: r.nextPageToken ?? '' };
  }
  const r = await mlmd.getContexts({ options });
  return { rows: r.contexts ?? [], nextPageToken: r.nextPageToken ?? '' };
}

/** Type names of a kind, for the type pickers. */
export async function typeNames(kind: NodeKind): Promise<string[]> {
  const types =
    kind === 'artifact'
      ? (await mlmd.getArtifactTypes({})).artifactTypes
      : kind === 'execution'
        ? (await mlmd.getExecutionTypes({})).executionTypes
        : (await mlmd.getContextTypes({})).contextTypes;
  return [...new Set((types ?? []).map((t) => t.name ?? ''))].filter(Boolean).sort();
}

export async function artifactsById(ids: readonly bigint[]): Promise<Artifact[]> {
  return ids.length ? ((await mlmd.getArtifactsById({ artifactIds: [...ids] })).artifacts ?? []) : [];
}

export async function executionsById(ids: readonly bigint[]): Promise<Execution[]> {
  return ids.length ? ((await mlmd.getExecutionsById({ executionIds: [...ids] })).executions ?? []) : [];
}

export interface LineageAnswer {
  artifacts: Artifact[];
  executions: Execution[];
  events: Event[];
}

const DIRECTION: Record<Direction, LineageDirection> = {
  upstream: LineageDirection.UPSTREAM,
  downstream: LineageDirection.DOWNSTREAM,
  both: LineageDirection.BIDIRECTIONAL,
};

/**
 * GetLineageSubgraph from one node, then its nodes in full (the subgraph holds only their ids): three calls whatever
 * the graph's size.
 */
export async function lineageFrom(
  kind: 'a' | 'e',
  id: string,
  hops: number,
  direction: Direction,
): Promise<LineageAnswer> {
  const starting = { filterQuery: `id = ${id}` };
  const { lineageSubgraph: subgraph } = await mlmd.getLineageSubgraph({
    lineageSubgraphQueryOptions: {
      startingNodes:
        kind === 'a'
          ? { $case: 'startingArtifacts', value: starting }
          : { $case: 'startingExecutions', value: starting },
      maxNumHops: BigInt(hops),
      direction: DIRECTION[direction],
    },
    readMask: ['artifacts', 'executions', 'events'],
  });
  const [artifacts, executions] = await Promise.all([
    artifactsById((subgraph?.artifacts ?? []).map((a) => a.id!)),
    executionsById((subgraph?.executions ?? []).map((e) => e.id!)),
  ]);
  return { artifacts, executions, events: subgraph?.events ?? [] };
}

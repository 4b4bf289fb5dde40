/**
 * The node RPCs: Put{Artifacts,Executions,Contexts} and every read of nodes by id, type, name, uri, external id or
 * list options.
 */
import type { Artifact, Context, Execution } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument, notFound } from '../errors';
import type { Tx } from '../storage/database';
import { idSet, textSet } from '../storage/sql';
import { type Candidates, hasCandidates, listNodes } from './listing';
import { type AnyNode, ARTIFACT, CONTEXT, EXECUTION, type NodeKindSpec } from './node-kinds';
import { loadNodes, loadNodesByIds, NodeWriter, type UpsertOptions } from './node-store';
import { lookup, read, type RpcTable, write } from './rpc';
import { findTypeId, getTypesByIds } from './types';

/** Writes a batch of nodes of one kind in request order; returns their ids, index-aligned. */
export async function putNodes(
  tx: Tx,
  spec: NodeKindSpec,
  nodes: readonly AnyNode[],
  options: UpsertOptions = {},
): Promise<bigint[]> {
  if (nodes.length === 0) return [];
  const writer = await NodeWriter.prepare(tx, spec, nodes);
  // A batch of new nodes only (a bulk load, a merge) is written set-based.
  if (nodes.every((n) => n.id === undefined)) return writer.insertAll(nodes);
  const ids: bigint[] = [];
  for (const node of nodes) ids.push(await writer.upsert(node, options));
  return ids;
}

async function nodesByExternalIds(tx: Tx, spec: NodeKindSpec, externalIds: readonly string[]): Promise<AnyNode[]> {
  if (externalIds.length === 0) return [];
  if (externalIds.some((e) => e === '')) throw invalidArgument('external_ids cannot contain an empty string');
  const set = textSet(tx, [...new Set(externalIds)]);
  const nodes = await loadNodes(tx, spec, `n.external_id IN (${set.sql})`, [set.param]);
  if (nodes.length === 0) throw notFound(`No ${spec.label}s found with external_ids: ${externalIds.join(', ')}`);
  return nodes;
}

/** Candidates of one type given by name and version; undefined when the type does not exist. */
async function ofType(
  tx: Tx,
  spec: NodeKindSpec,
  typeName?: string,
  typeVersion?: string,
): Promise<Candidates | undefined> {
  const typeId = await findTypeId(tx, spec.typeKind, typeName ?? '', typeVersion);
  return typeId === undefined ? undefined : { where: 'n.type_id = ?', params: [typeId] };
}

async function nodesByType(
  tx: Tx,
  spec: NodeKindSpec,
  r: { typeName?: string; typeVersion?: string; options?: Parameters<typeof listNodes>[2] },
) {
  const candidates = await ofType(tx, spec, r.typeName, r.typeVersion);
  if (!candidates || !(await hasCandidates(tx, spec, candidates))) return { nodes: [] as AnyNode[] };
  const page = await listNodes(tx, spec, r.options, candidates);
  // Google's server sets the token of a paged listing by type on every page, empty on the last one (GetArtifacts and
  // the listings by context leave it unset there). Proto2 keeps the difference on the wire: a Go or C++ client sees it.
  return r.options === undefined ? page : { ...page, nextPageToken: page.nextPageToken ?? '' };
}

async function nodeByTypeAndName(tx: Tx, spec: NodeKindSpec, typeName?: string, typeVersion?: string, name?: string) {
  const candidates = await ofType(tx, spec, typeName, typeVersion);
  if (!candidates) return undefined;
  const [node] = await loadNodes(tx, spec, 'n.type_id = ? AND n.name = ?', [...candidates.params, name ?? '']);
  return node;
}

type NodesRpc =
  | 'putArtifacts'
  | 'putExecutions'
  | 'putContexts'
  | 'getArtifacts'
  | 'getExecutions'
  | 'getContexts'
  | 'getArtifactsById'
  | 'getExecutionsById'
  | 'getContextsById'
  | 'getArtifactsByType'
  | 'getExecutionsByType'
  | 'getContextsByType'
  | 'getArtifactByTypeAndName'
  | 'getExecutionByTypeAndName'
  | 'getContextByTypeAndName'
  | 'getArtifactsByUri'
  | 'getArtifactsByExternalIds'
  | 'getExecutionsByExternalIds'
  | 'getContextsByExternalIds';

export const nodeRpcs: RpcTable<NodesRpc> = {
  putArtifacts: write(async (tx, r) => ({
    artifactIds: await putNodes(tx, ARTIFACT, r.artifacts ?? [], {
      mask: r.updateMask,
      abortIfLatestUpdatedTimeChanged: r.options?.abortIfLatestUpdatedTimeChanged,
    }),
  })),
  putExecutions: write(async (tx, r) => ({
    executionIds: await putNodes(tx, EXECUTION, r.executions ?? [], { mask: r.updateMask }),
  })),
  putContexts: write(async (tx, r) => ({
    contextIds: await putNodes(tx, CONTEXT, r.contexts ?? [], { mask: r.updateMask }),
  })),

  getArtifacts: read(async (tx, r) => {
    const page = await listNodes(tx, ARTIFACT, r.options);
    return { artifacts: page.nodes as Artifact[], nextPageToken: page.nextPageToken };
  }),
  getExecutions: read(async (tx, r) => {
    const page = await listNodes(tx, EXECUTION, r.options);
    return { executions: page.nodes as Execution[], nextPageToken: page.nextPageToken };
  }),
  getContexts: read(async (tx, r) => {
    const page = await listNodes(tx, CONTEXT, r.options);
    return { contexts: page.nodes as Context[], nextPageToken: page.nextPageToken };
  }),

  getArtifactsById: lookup(
    async (tx, r) => {
      const artifacts = await loadNodesByIds(tx, ARTIFACT, r.artifactIds ?? []);
      if (!r.populateArtifactTypes) return { artifacts };
      const typeIds = [...new Set(artifacts.map((a) => a.typeId!))];
      const artifactTypes = await getTypesByIds(tx, ARTIFACT.typeKind, typeIds, {
        externalId: true,
        baseType: false,
        structTypes: false,
      });
      return { artifacts, artifactTypes };
    },
    (r) => r.artifactIds,
  ),
  getExecutionsById: lookup(
    async (tx, r) => ({ executions: await loadNodesByIds(tx, EXECUTION, r.executionIds ?? []) }),
    (r) => r.executionIds,
  ),
  getContextsById: lookup(
    async (tx, r) => ({ contexts: await loadNodesByIds(tx, CONTEXT, r.contextIds ?? []) }),
    (r) => r.contextIds,
  ),

  getArtifactsByType: read(async (tx, r) => {
    const { nodes, nextPageToken } = await nodesByType(tx, ARTIFACT, r);
    return { artifacts: nodes, nextPageToken };
  }),
  getExecutionsByType: read(async (tx, r) => {
    const { nodes, nextPageToken } = await nodesByType(tx, EXECUTION, r);
    return { executions: nodes, nextPageToken };
  }),
  getContextsByType: read(async (tx, r) => {
    const { nodes, nextPageToken } = await nodesByType(tx, CONTEXT, r);
    return { contexts: nodes, nextPageToken };
  }),

  getArtifactByTypeAndName: lookup(async (tx, r) => ({
    artifact: await nodeByTypeAndName(tx, ARTIFACT, r.typeName, r.typeVersion, r.artifactName),
  })),
  getExecutionByTypeAndName: lookup(async (tx, r) => ({
    execution: await nodeByTypeAndName(tx, EXECUTION, r.typeName, r.typeVersion, r.executionName),
  })),
  getContextByTypeAndName: lookup(async (tx, r) => ({
    context: await nodeByTypeAndName(tx, CONTEXT, r.typeName, r.typeVersion, r.contextName),
  })),

  getArtifactsByUri: read(async (tx, r) => {
    // Field 1 was the singular `uri` of old clients; silently ignoring it would return everything's opposite.
    // ts-proto keys unknown fields by their whole tag (field number << 3 | wire type).
    if (Object.keys(r._unknownFields ?? {}).some((tag) => Number(tag) >> 3 === 1)) {
      throw invalidArgument(
        'The request contains deprecated field `uri`. Please upgrade the client library version above 0.21.0. GetArtifactsByURIRequest.uris should be used instead.',
      );
    }
    const uris = [...new Set(r.uris ?? [])];
    if (uris.length === 0) return { artifacts: [] };
    const set = textSet(tx, uris);
    return { artifacts: await loadNodes(tx, ARTIFACT, `n.uri IN (${set.sql})`, [set.param]) };
  }),

  getArtifactsByExternalIds: lookup(
    async (tx, r) => ({ artifacts: await nodesByExternalIds(tx, ARTIFACT, r.externalIds ?? []) }),
    (r) => r.externalIds,
  ),
  getExecutionsByExternalIds: lookup(
    async (tx, r) => ({ executions: await nodesByExternalIds(tx, EXECUTION, r.externalIds ?? []) }),
    (r) => r.externalIds,
  ),
  getContextsByExternalIds: lookup(
    async (tx, r) => ({ contexts: await nodesByExternalIds(tx, CONTEXT, r.externalIds ?? []) }),
    (r) => r.externalIds,
  ),
};

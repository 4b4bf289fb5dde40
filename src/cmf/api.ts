/**
 * The CMF domain's public surface: one async function per RPC of cmf.v1.CmfService (lower-camel names as ts-proto
 * generates them), each run as ONE transaction on the database through the MLMD domain API. Types come from the
 * generated service definition (type-only import: the domain never loads grpc-js).
 */
import type { CmfServiceService } from '../../generated/cmf/v1/cmf_service';
import type { MlmdApi } from '../mlmd/api';
import { withMlmd } from '../mlmd/in-transaction';
import type { Database, TxMode } from '../storage/database';
import * as x from './export';
import { type InterchangeDocument, readInterchange } from './interchange';
import { MERGE_LOCK_KEY, type MergeOutcome, mergePipelines, type MergeSelection, selectPipelines } from './merge';
import * as q from './queries';
import * as w from './records';

type Methods = typeof CmfServiceService;
export type CmfRpcName = keyof Methods;
export type CmfRequest<K extends CmfRpcName> = ReturnType<Methods[K]['requestDeserialize']>;
export type CmfResponse<K extends CmfRpcName> = ReturnType<Methods[K]['responseDeserialize']>;
export type CmfApi = { [K in CmfRpcName]: (request: CmfRequest<K>) => Promise<CmfResponse<K>> };

type Body<K extends CmfRpcName> = { mode: TxMode; run: (m: MlmdApi, r: CmfRequest<K>) => Promise<CmfResponse<K>> };
/** RPCs that are more than one transaction body (work before the transaction, locks): given the database. */
type Custom<K extends CmfRpcName> = (db: Database, r: CmfRequest<K>) => Promise<CmfResponse<K>>;
const write = <K extends CmfRpcName>(run: Body<K>['run']): Body<K> => ({ mode: 'write', run });
const read = <K extends CmfRpcName>(run: Body<K>['run']): Body<K> => ({ mode: 'read', run });

const pid = (id: bigint | undefined) => (id && id > 0n ? id : undefined);

type MergeRpc = 'mergeMetadata';

const BODIES: { [K in Exclude<CmfRpcName, MergeRpc>]: Body<K> } = {
  createPipeline: write(async (m, r) => ({
    pipeline: await w.getOrCreatePipeline(m, r.pipelineName, r.customProperties),
  })),
  createStage: write(async (m, r) => {
    const pipeline = await w.pipelineByName(m, r.pipelineName);
    return { stage: await w.getOrCreateStage(m, pipeline, r.stageName, r.customProperties), pipeline };
  }),
  createExecution: write((m, r) => w.createExecution(m, r)),
  updateExecution: write(async (m, r) => ({
    execution: await w.updateExecution(m, r.executionId, r.customProperties),
  })),
  finalizeExecution: write(async (m, r) => ({
    execution: await w.finalizeExecution(m, r.executionId, r.gitEndCommit),
  })),

  logDataset: write((m, r) => w.logDataset(m, r)),
  logModel: write((m, r) => w.logModel(m, r)),
  logExecutionMetrics: write((m, r) => w.logExecutionMetrics(m, r)),
  logStepMetrics: write((m, r) => w.logStepMetrics(m, r)),
  logDataslice: write((m, r) => w.logDataslice(m, r)),
  logLabel: write((m, r) => w.logLabel(m, r)),
  logPythonEnv: write((m, r) => w.logPythonEnv(m, r)),

  getPipelineNames: read(async (m) => ({ names: await q.pipelineNames(m) })),
  getPipelineStages: read(async (m, r) => {
    const stages = await q.pipelineStages(m, r.pipelineName);
    return { stageNames: stages.map((s) => s.name!), stages };
  }),
  getExecutionsInStage: read(async (m, r) => {
    const page = q.paginate(await q.executionsInStage(m, r.stageName), r.page);
    return { executions: page.items, nextPageToken: page.nextPageToken };
  }),
  getArtifactsOfExecution: read(async (m, r) => {
    const page = q.paginate(await q.artifactsOfExecution(m, r.executionId), r.page);
    return { artifacts: page.items, nextPageToken: page.nextPageToken };
  }),
  getExecutionsOfArtifact: read(async (m, r) => {
    const page = q.paginate(await q.executionsOfArtifact(m, r.artifactName), r.page);
    return { executions: page.items, nextPageToken: page.nextPageToken };
  }),
  getArtifactByName: read(async (m, r) => ({ artifact: await q.artifactByName(m, r.artifactName) })),
  getParentArtifacts: read(async (m, r) => {
    const page = q.paginate(
      await q.lineageArtifacts(m, r.artifactName, 'parents', !!r.transitive, pid(r.pipelineId)),
      r.page,
    );
    return { artifacts: page.items, nextPageToken: page.nextPageToken };
  }),
  getChildArtifacts: read(async (m, r) => {
    const page = q.paginate(
      await q.lineageArtifacts(m, r.artifactName, 'children', !!r.transitive, pid(r.pipelineId)),
      r.page,
    );
    return { artifacts: page.items, nextPageToken: page.nextPageToken };
  }),
  getParentExecutions: read(async (m, r) => {
    const page = q.paginate(
      await q.lineageExecutions(m, r.artifactName, 'parents', !!r.transitive, pid(r.pipelineId)),
      r.page,
    );
    return { executions: page.items, nextPageToken: page.nextPageToken };
  }),
  getChildExecutions: read(async (m, r) => {
    const page = q.paginate(
      await q.lineageExecutions(m, r.artifactName, 'children', !!r.transitive, pid(r.pipelineId)),
      r.page,
    );
    return { executions: page.items, nextPageToken: page.nextPageToken };
  }),
  dumpToJson: read(async (m, r) => ({ json: await x.dumpToJson(m, r.pipelineName, r.execUuid || undefined) })),
  exportMetadata: read(async (m, r) => ({
    json: r.pipelineName
      ? await x.dumpToJson(m, r.pipelineName, r.execUuid || undefined)
      : await x.extractToJson(m, r.sinceMillis || undefined),
  })),
  pullMetadata: read(async (m, r) => {
    const pulled = await x.pullMetadata(m, {
      pipelineName: r.pipelineName,
      execUuid: r.execUuid,
      since: r.lastSyncTime || undefined,
    });
    return 'json' in pulled ? { json: pulled.json, noExecUuid: false } : { json: '', noExecUuid: true };
  }),
};

const CUSTOM: { [K in MergeRpc]: Custom<K> } = {
  mergeMetadata: async (db, r) => {
    const outcome = await mergeMetadata(db, r.json ?? '', {
      pipelineName: r.pipelineName || undefined,
      execUuid: r.execUuid || undefined,
    });
    return {
      status: outcome.status,
      pipelines: outcome.pipelines,
      executionsAdded: BigInt(outcome.executions),
      artifactsAdded: BigInt(outcome.artifacts),
      eventsAdded: BigInt(outcome.events),
    };
  },
};

/**
 * cmf-server's metadata push (and the merge step of a sync): the document is read and checked before the
 * transaction, then merged in ONE write transaction that waits for any other merge first (two clients pushing the
 * same pipeline end with one copy). Shared by the gRPC RPC and the cmf-server HTTP API.
 */
export async function mergeMetadata(db: Database, json: string, selection: MergeSelection): Promise<MergeOutcome> {
  return mergeDocument(db, readInterchange(json), selection);
}

/** mergeMetadata for a document already read (readInterchange). */
export async function mergeDocument(
  db: Database,
  doc: InterchangeDocument,
  selection: MergeSelection,
): Promise<MergeOutcome> {
  const selected = selectPipelines(doc, selection);
  if ('status' in selected) return { status: selected.status, pipelines: [], executions: 0, artifacts: 0, events: 0 };
  return withMlmd(db, 'write', (m) => mergePipelines(m, selected.pipelines, selection.execUuid), [MERGE_LOCK_KEY]);
}

export function createCmfApi(db: Database): CmfApi {
  const api = {} as Record<string, (request: unknown) => Promise<unknown>>;
  for (const name of Object.keys(BODIES) as Array<keyof typeof BODIES>) {
    const body = BODIES[name] as unknown as Body<CmfRpcName>;
    api[name] = (request) => withMlmd(db, body.mode, (m) => body.run(m, (request ?? {}) as CmfRequest<CmfRpcName>));
  }
  for (const name of Object.keys(CUSTOM) as MergeRpc[]) {
    const custom = CUSTOM[name] as unknown as Custom<CmfRpcName>;
    api[name] = (request) => custom(db, (request ?? {}) as CmfRequest<CmfRpcName>);
  }
  return api as unknown as CmfApi;
}

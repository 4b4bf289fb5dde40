/**
 * cmf-server's metadata merge: an interchange document (the JSON of `cmf metadata push`, of a peer's pull during a
 * sync) merged into the store with the records cmf-server 0.1.0 writes (cmflib's cmf_federation.update_mlmd and
 * cmf_merger), in the caller's ONE transaction, through the MLMD domain API.
 *
 * cmflib merges record by record (a round trip per lookup and per write, tens per execution). Here each part is
 * written set-based: the stages, then every new execution with one PutExecutions and every association with one call,
 * then the artifacts and events (merge-artifacts.ts: one read of the stored artifacts by uri, the event sequence
 * replayed in memory, a few writes).
 *
 * The rules for pipelines, stages and executions, as cmf-server applies them:
 * - Executions are identified by Execution_uuid: an execution any of whose uuids the pipeline already holds is
 *   skipped; nothing new at all answers "exists". Reusable (named) executions are matched by (type, name) instead and
 *   their uuid lists are united.
 * - A new execution's type is its stage (Context_Type), its ids (Context_ID, Pipeline_id) are this store's, and
 *   Git_End_Commit is empty, as cmf-server records them.
 * - Stages and executions get the custom property original_create_time_since_epoch (the pushed record's create
 *   time); stages are created with the pushed custom properties, an existing stage is left as it is; the pipeline is
 *   created by name only (its custom properties are not copied).
 */
import type { Context, Execution, Value } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument, whenNotFound } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import type { InExecution, InPipeline, InStage, InterchangeDocument } from './interchange';
import { mergeArtifacts, type PlacedExecution, type StagedExecution } from './merge-artifacts';
import {
  EXECUTION_TYPE_PROPERTIES,
  int,
  PIPELINE_TYPE,
  STAGE_TYPE,
  str,
  stringOf,
  withOriginalCreateTime,
} from './model';
import { contextByName, forPut, getOrCreatePipeline, getOrCreateStageNamed, typeIdOf } from './records';

/** cmf-server's answers to a push: the first two write (or find everything present), the last two write nothing. */
export type MergeStatus = 'success' | 'exists' | 'pipeline_not_exist' | 'version_update';

export interface MergeSelection {
  /** Only this pipeline of the document (a push); absent: every pipeline in it (a sync). */
  pipelineName?: string;
  /** Only the executions whose Execution_uuid list holds this uuid (`cmf metadata push -e`). */
  execUuid?: string;
}

export interface MergeCounts {
  executions: number;
  artifacts: number;
  events: number;
}

export interface MergeOutcome extends MergeCounts {
  status: MergeStatus;
  /** The pipelines something was added to. */
  pipelines: string[];
}

/** Advisory-lock key every merge takes: merges run one at a time across all servers on a database. */
export const MERGE_LOCK_KEY = 'cmf:merge';

/**
 * What needs no store: picking the pipelines and cmflib's version check. Returns the pipelines to merge, or the
 * status that ends the push before any transaction (as cmf-server answers it).
 */
export function selectPipelines(
  doc: InterchangeDocument,
  selection: MergeSelection,
): { status: 'pipeline_not_exist' | 'version_update' } | { pipelines: InPipeline[] } {
  let pipelines = doc.pipelines;
  if (selection.pipelineName !== undefined) {
    // cmf-server merges the first pipeline object of that name.
    const first = pipelines.find((p) => p.name === selection.pipelineName);
    if (!first) return { status: 'pipeline_not_exist' };
    pipelines = [first];
  }
  for (const p of pipelines) {
    for (const x of p.stages.flatMap((s) => s.executions)) {
      // cmflib's version check: a normal execution without Execution_uuid comes from a cmflib before uuids.
      if (x.uuids === undefined && x.name === '') return { status: 'version_update' };
      if (x.uuids === undefined) throw invalidArgument(`${x.path}.properties.Execution_uuid is missing`);
    }
  }
  if (selection.execUuid !== undefined) {
    const held = pipelines.some((p) =>
      p.stages.some((s) => s.executions.some((x) => x.uuids!.includes(selection.execUuid!))),
    );
    if (!held) throw invalidArgument(`no execution of the pushed pipeline has Execution_uuid ${selection.execUuid}`);
  }
  return { pipelines };
}

/** Merges the selected pipelines; the caller's transaction must hold MERGE_LOCK_KEY. */
export async function mergePipelines(
  m: MlmdApi,
  pipelines: readonly InPipeline[],
  execUuid?: string,
): Promise<MergeOutcome> {
  const outcome: MergeOutcome = { status: 'exists', pipelines: [], executions: 0, artifacts: 0, events: 0 };
  for (const p of pipelines) {
    const counts = await new PipelineMerge(m, p, execUuid).run();
    if (!counts) continue;
    outcome.status = 'success';
    outcome.pipelines.push(p.name);
    outcome.executions += counts.executions;
    outcome.artifacts += counts.artifacts;
    outcome.events += counts.events;
  }
  return outcome;
}

// ---------------------------------------------------------------- one pipeline

interface WorkItem {
  stage: InStage;
  executions: InExecution[];
}

class PipelineMerge {
  private pipeline!: Context;
  private readonly counts: MergeCounts = { executions: 0, artifacts: 0, events: 0 };
  private changed = false;
  private readonly typeIds = new Map<string, bigint>();

  constructor(
    private readonly m: MlmdApi,
    private readonly source: InPipeline,
    private readonly execUuid: string | undefined,
  ) {}

  /** The counts when something was added, undefined when everything was present already. */
  async run(): Promise<MergeCounts | undefined> {
    const stored = await contextByName(this.m, this.source.name);
    if (stored && stored.type !== PIPELINE_TYPE) {
      throw invalidArgument(`a context named ${JSON.stringify(this.source.name)} exists with type ${stored.type}`);
    }
    const work = this.selectExecutions(stored ? await this.storedUuids(stored) : new Set());
    if (work.length === 0) return undefined;
    this.changed = !stored;
    this.pipeline = stored ?? (await getOrCreatePipeline(this.m, this.source.name));

    const staged: StagedExecution[] = [];
    for (const item of work) {
      const stage = await this.stage(item.stage);
      for (const x of item.executions) staged.push({ source: x, stage });
    }
    const placed = await this.writeExecutions(staged);
    const artifacts = await mergeArtifacts(this.m, placed);
    this.counts.artifacts += artifacts.artifacts;
    this.counts.events += artifacts.events;
    return this.changed || artifacts.changed ? this.counts : undefined;
  }

  /** Every Execution_uuid the stored pipeline's executions carry. */
  private async storedUuids(pipeline: Context): Promise<Set<string>> {
    const uuids = new Set<string>();
    const { contexts } = await this.m.getChildrenContextsByContext({ contextId: pipeline.id });
    for (const stage of contexts ?? []) {
      const { executions } = await this.m.getExecutionsByContext({ contextId: stage.id });
      for (const x of executions ?? []) for (const u of stringOf(x.properties?.Execution_uuid).split(',')) uuids.add(u);
    }
    return uuids;
  }

  /**
   * cmf-server's filter: a normal execution any of whose uuids is stored is dropped (a reusable one only when one of
   * its uuids is also a normal execution's), then the `-e` selection; stages left empty are dropped. A normal
   * execution repeated in the document is merged once.
   */
  private selectExecutions(storedUuids: Set<string>): WorkItem[] {
    const present = new Set<string>();
    for (const s of this.source.stages) {
      for (const x of s.executions) if (x.name === '') for (const u of x.uuids!) if (storedUuids.has(u)) present.add(u);
    }
    const seen = new Set<string>();
    const work: WorkItem[] = [];
    for (const stage of this.source.stages) {
      const executions = stage.executions.filter((x) => {
        if (x.uuids!.some((u) => present.has(u))) return false;
        if (this.execUuid !== undefined && !x.uuids!.includes(this.execUuid)) return false;
        const key = x.name === '' ? `uuid:${x.uuids!.join(',')}` : undefined;
        if (key === undefined) return true;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      if (executions.length > 0) work.push({ stage, executions });
    }
    return work;
  }

  private async stage(source: InStage): Promise<Context> {
    const existing = await contextByName(this.m, source.name);
    if (existing && existing.type !== STAGE_TYPE) {
      throw invalidArgument(
        `${source.path}.name: a context named ${JSON.stringify(source.name)} exists with type ${existing.type}`,
      );
    }
    if (!existing) this.changed = true;
    return getOrCreateStageNamed(
      this.m,
      this.pipeline,
      source.name,
      withOriginalCreateTime(source.customProperties, source.createTimeSinceEpoch),
    );
  }

  // ---------------------------------------------------------------- executions

  private async executionTypeId(name: string): Promise<bigint> {
    let id = this.typeIds.get(`execution:${name}`);
    if (id === undefined) {
      id = await typeIdOf(this.m, 'execution', name, EXECUTION_TYPE_PROPERTIES);
      this.typeIds.set(`execution:${name}`, id);
    }
    return id;
  }

  /**
   * Creates the new executions with one PutExecutions, unites the uuid lists of reused ones (a reusable execution is
   * matched by its type and name, as cmflib does), and associates every execution with its stage.
   */
  private async writeExecutions(staged: StagedExecution[]): Promise<PlacedExecution[]> {
    const placed: PlacedExecution[] = [];
    const created: Execution[] = [];
    const updated = new Set<Execution>();
    const byName = new Map<string, Execution>();
    for (const { source: x, stage } of staged) {
      const typeName = stringOf(x.properties.Context_Type);
      const typeId = await this.executionTypeId(typeName);
      const key = `${typeName}\u0000${x.name}`;
      if (x.name !== '') {
        let existing = byName.get(key);
        if (!existing) {
          existing = (await this.m.getExecutionByTypeAndName({ typeName, executionName: x.name })).execution;
          if (existing) await this.noteNewAssociation(existing, stage);
        }
        if (existing) {
          byName.set(key, existing);
          placed.push({ source: x, stage, execution: existing });
          const uuids = stringOf(existing.properties?.Execution_uuid)
            .split(',')
            .filter((u) => u !== '');
          const united = [...new Set([...uuids, ...x.uuids!])];
          if (united.join(',') !== uuids.join(',')) {
            existing.properties = { ...existing.properties, Execution_uuid: str(united.join(',')) };
            if (existing.id !== undefined) updated.add(existing);
          }
          continue;
        }
      }
      const execution: Execution = {
        typeId,
        name: x.name === '' ? undefined : x.name,
        properties: {
          Context_Type: str(typeName),
          Context_ID: int(stage.id!),
          Execution: x.properties.Execution,
          Execution_type_name: str(typeName),
          Pipeline_Type: str(this.pipeline.name!),
          Pipeline_id: int(this.pipeline.id!),
          Git_Repo: this.stringProperty(x, 'Git_Repo'),
          Git_Start_Commit: this.stringProperty(x, 'Git_Start_Commit'),
          Git_End_Commit: str(''),
          Execution_uuid: str(x.uuids!.join(',')),
        },
        customProperties: withOriginalCreateTime(x.customProperties, x.createTimeSinceEpoch),
      };
      created.push(execution);
      placed.push({ source: x, stage, execution });
      if (x.name !== '') byName.set(key, execution);
    }

    if (created.length > 0) {
      const { executionIds } = await this.m.putExecutions({ executions: created });
      created.forEach((x, i) => (x.id = executionIds![i]));
      this.counts.executions += created.length;
      this.changed = true;
    }
    if (updated.size > 0) {
      await this.m.putExecutions({ executions: [...updated].map(forPut) });
      this.changed = true;
    }
    await this.m.putAttributionsAndAssociations({
      associations: placed.map((p) => ({ contextId: p.stage.id, executionId: p.execution.id })),
    });
    return placed;
  }

  /** A stored reusable execution merged into a stage it is not associated with yet changes the store. */
  private async noteNewAssociation(execution: Execution, stage: Context): Promise<void> {
    const { contexts } = await this.m
      .getContextsByExecution({ executionId: execution.id })
      .catch(whenNotFound({ contexts: [] as Context[] }));
    if (!(contexts ?? []).some((c) => c.id === stage.id)) this.changed = true;
  }

  /** cmflib copies Git_Repo / Git_Start_Commit as string_value: they must be strings (missing: empty). */
  private stringProperty(x: InExecution, key: string): Value {
    const v = x.properties[key];
    if (v === undefined) return str('');
    if (v.value?.$case !== 'stringValue') throw invalidArgument(`${x.path}.properties.${key} must be a string`);
    return v;
  }
}

/**
 * cmf-server's metadata merge: an interchange document (the JSON of `cmf metadata push`, of a peer's pull during a
 * sync) merged into the store with the records cmf-server 0.1.0 writes (cmflib's cmf_federation.update_mlmd and
 * cmf_merger), in the caller's ONE transaction, through the MLMD domain API.
 *
 * cmflib merges record by record (a round trip per lookup and per write, tens per execution). Here the outcome of
 * that sequence is worked out in memory first: the stored artifacts of every uri the document names are read with
 * one query, then events are replayed in document order against that picture (an artifact created by one execution
 * is "existing" for the next), and the result is written with a few set-based calls: one PutExecutions, one
 * PutArtifacts for new artifacts and one for changed ones, one PutEvents, one PutAttributionsAndAssociations.
 *
 * The rules, as cmf-server applies them:
 * - Executions are identified by Execution_uuid: an execution any of whose uuids the pipeline already holds is
 *   skipped; nothing new at all answers "exists". Reusable (named) executions are matched by (type, name) instead and
 *   their uuid lists are united.
 * - A new execution's type is its stage (Context_Type), its ids (Context_ID, Pipeline_id) are this store's, and
 *   Git_End_Commit is empty, as cmf-server records them.
 * - Artifacts are identified by uri (content hash) across types: Dataset and Label reuse merge custom properties and
 *   append the url; Model reuse appends the url to every artifact with that uri; Environment appends the url. A new
 *   Model is named `path:hash:<this store's execution id>`, a Metrics `name:uuid:<execution id>`.
 * - Stages, executions and artifacts get the custom property original_create_time_since_epoch (the pushed record's
 *   create time); stages are created with the pushed custom properties, an existing stage is left as it is.
 * - Events join once: a link is skipped when any event already joins the artifact and the execution.
 */
import {
  Event_Type,
  type Artifact,
  type Context,
  type Event,
  type Execution,
  type Value,
} from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../errors';
import type { MlmdApi } from '../mlmd/api';
import type { InArtifact, InExecution, InPipeline, InStage, InterchangeDocument, Props } from './interchange';
import {
  appendedUrl,
  ARTIFACT_TYPES,
  type ArtifactTypeName,
  EXECUTION_TYPE_PROPERTIES,
  int,
  mergedCustomProperties,
  PIPELINE_TYPE,
  pyStrOf,
  STAGE_TYPE,
  str,
  stringOf,
} from './model';
import { contextByName, getOrCreatePipeline, getOrCreateStageNamed, typeIdOf } from './records';
import { uuid1 } from './uuid1';

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

const ORIGINAL_CREATE_TIME = 'original_create_time_since_epoch';

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

/** A stored artifact as the merge sees it, or one it will create (`index` into the creations). */
interface ArtifactState {
  stored?: Artifact;
  index?: number;
  type: string;
  name: string;
  uri: string;
  properties: Props;
  customProperties: Props;
  /** A stored artifact whose properties the merge changed. */
  changed: boolean;
}

interface WorkItem {
  stage: InStage;
  executions: InExecution[];
}

/** A document execution with the stage context it merges into. */
interface StagedExecution {
  source: InExecution;
  stage: Context;
}

/** ... and the stored execution it became (created, or a reusable execution found by name). */
interface PlacedExecution extends StagedExecution {
  execution: Execution;
}

/** A stored node ready to be put back whole (output-only fields dropped). */
function forPut<T extends { type?: string; createTimeSinceEpoch?: bigint; lastUpdateTimeSinceEpoch?: bigint }>(
  node: T,
): T {
  const { type: _type, createTimeSinceEpoch: _c, lastUpdateTimeSinceEpoch: _u, ...rest } = node;
  return rest as T;
}

const sameValue = (a: Value | undefined, b: Value | undefined): boolean =>
  a?.value?.$case === b?.value?.$case && a?.value?.value === b?.value?.value;

function sameProps(a: Props, b: Props): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => sameValue(a[k], b[k]));
}

/** Adds original_create_time_since_epoch (cmf-server's push does, for every stage, execution and artifact). */
function withOriginalCreateTime(custom: Props, createTime: bigint | undefined): Props {
  return createTime === undefined ? custom : { ...custom, [ORIGINAL_CREATE_TIME]: str(String(createTime)) };
}

class PipelineMerge {
  private pipeline!: Context;
  private readonly counts: MergeCounts = { executions: 0, artifacts: 0, events: 0 };
  private changed = false;

  // Artifact planning state.
  private readonly byUri = new Map<string, ArtifactState[]>();
  private readonly created: ArtifactState[] = [];
  private readonly createdIn: Array<{ stage: Context }> = [];
  /** "artifactKey|executionId" of every stored or planned event (any type), and with the type. */
  private readonly joined = new Set<string>();
  private readonly joinedTyped = new Set<string>();
  private readonly events: Array<{ artifact: ArtifactState; executionId: bigint; type: Event_Type; key?: string }> = [];
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
    await this.planArtifacts(placed);
    await this.writeArtifacts();
    return this.changed ? this.counts : undefined;
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
      .catch(() => ({ contexts: [] as Context[] }));
    if (!(contexts ?? []).some((c) => c.id === stage.id)) this.changed = true;
  }

  /** cmflib copies Git_Repo / Git_Start_Commit as string_value: they must be strings (missing: empty). */
  private stringProperty(x: InExecution, key: string): Value {
    const v = x.properties[key];
    if (v === undefined) return str('');
    if (v.value?.$case !== 'stringValue') throw invalidArgument(`${x.path}.properties.${key} must be a string`);
    return v;
  }

  // ---------------------------------------------------------------- artifacts: planning

  /** The uri each event's artifact is looked up by (a Metrics artifact by the uuid inside its name). */
  private static lookupUri(a: InArtifact, path: string): string {
    if (a.type !== 'Metrics') return a.uri;
    const tokens = a.name.split(':');
    if (tokens.length < 3) throw invalidArgument(`${path}.name: a Metrics name is "name:uuid:execution_id"`);
    return tokens[1];
  }

  private async planArtifacts(placed: PlacedExecution[]): Promise<void> {
    // The stored artifacts of every uri the document names, in id order (one query).
    const uris = new Set<string>();
    for (const p of placed) {
      p.source.events.forEach((e, j) =>
        uris.add(PipelineMerge.lookupUri(e.artifact, `${p.source.path}.events[${j}].artifact`)),
      );
    }
    if (uris.size > 0) {
      const { artifacts } = await this.m.getArtifactsByUri({ uris: [...uris] });
      for (const a of artifacts ?? []) {
        this.statesOf(a.uri ?? '').push({
          stored: a,
          type: a.type ?? '',
          name: a.name ?? '',
          uri: a.uri ?? '',
          properties: { ...a.properties },
          customProperties: { ...a.customProperties },
          changed: false,
        });
      }
    }
    // Events already joining reused executions to artifacts.
    const reusedIds = [...new Set(placed.filter((p) => p.source.name !== '').map((p) => p.execution.id!))];
    if (reusedIds.length > 0) {
      const { events } = await this.m.getEventsByExecutionIDs({ executionIds: reusedIds });
      for (const e of events ?? []) this.noteJoined(`s${e.artifactId}`, e.executionId!, e.type!);
    }
    for (const p of placed) {
      p.source.events.forEach((event, j) =>
        this.planEvent(p, event.type, event.artifact, `${p.source.path}.events[${j}].artifact`),
      );
    }
  }

  private statesOf(uri: string): ArtifactState[] {
    let list = this.byUri.get(uri);
    if (!list) this.byUri.set(uri, (list = []));
    return list;
  }

  private static keyOf(a: ArtifactState): string {
    return a.stored ? `s${a.stored.id}` : `n${a.index}`;
  }

  private noteJoined(artifactKey: string, executionId: bigint, type: number): void {
    this.joined.add(`${artifactKey}|${executionId}`);
    this.joinedTyped.add(`${artifactKey}|${executionId}|${type}`);
  }

  /** cmflib's handle_event for one event of an execution. */
  private planEvent(p: PlacedExecution, eventType: number, a: InArtifact, path: string): void {
    const io = eventType === Event_Type.INPUT ? Event_Type.INPUT : Event_Type.OUTPUT;
    const filePath = a.name.split(':')[0];
    const custom = withOriginalCreateTime(a.customProperties, a.createTimeSinceEpoch);
    const prop = (key: string, fallback: string): Value => a.properties[key] ?? str(fallback);
    const stored = (uri: string): ArtifactState[] => (uri.trim() === '' ? [] : (this.byUri.get(uri) ?? []));
    switch (a.type) {
      case 'Dataset':
      case 'Label': {
        const event = a.type === 'Label' ? Event_Type.INPUT : io;
        const existing = stored(a.uri);
        if (existing.length > 0) {
          this.updateCustom(existing[0], custom);
          this.appendUrl(existing[0], stringOf(a.properties.url));
          this.link(a.uri, p, `${filePath}:${a.uri}`, event);
        } else {
          this.create(p, a.type, event, {
            uri: a.uri.trim() === '' ? uuid1() : a.uri,
            name: `${filePath}:${a.uri}`,
            properties: { git_repo: str(pyStrOf(prop('git_repo', ''))), Commit: str(a.uri), url: prop('url', ' ') },
            customProperties: custom,
          });
        }
        return;
      }
      case 'Environment': {
        const existing = stored(a.uri);
        if (existing.length > 0) {
          this.appendUrl(existing[0], stringOf(a.properties.url));
          this.link(a.uri, p, `${filePath}:${a.uri}`, Event_Type.INPUT);
        } else {
          this.create(p, 'Environment', Event_Type.INPUT, {
            uri: a.uri.trim() === '' ? uuid1() : a.uri,
            name: `${filePath}:${a.uri}`,
            properties: {
              git_repo: str(pyStrOf(prop('git_repo', ''))),
              Commit: str(pyStrOf(prop('Commit', ''))),
              url: prop('url', ''),
            },
            customProperties: {},
          });
        }
        return;
      }
      case 'Model': {
        if (a.uri.trim() === '') throw invalidArgument(`${path}.uri: a Model needs its content hash`);
        const url = pyStrOf(prop('url', ''));
        const existing = stored(a.uri);
        if (existing.length > 0) {
          for (const e of existing) this.appendUrl(e, url);
          this.link(a.uri, p, `${filePath}:${a.uri}`, io);
        } else {
          this.create(p, 'Model', io, {
            uri: a.uri,
            name: `${filePath}:${a.uri}:${p.execution.id}`,
            properties: {
              model_framework: prop('model_framework', ''),
              model_type: prop('model_type', ''),
              model_name: prop('model_name', ''),
              Commit: prop('Commit', ''),
              url: str(url),
            },
            customProperties: custom,
          });
        }
        return;
      }
      case 'Metrics': {
        const [metric, uri] = a.name.split(':');
        const name = `${metric}:${uri}:${p.execution.id}`;
        const first = this.byUri.get(uri)?.[0];
        if (!first || first.name !== name) {
          this.create(p, 'Metrics', Event_Type.OUTPUT, {
            uri,
            name,
            properties: { metrics_name: str(a.name) },
            customProperties: custom,
          });
        }
        return;
      }
      case 'Step_Metrics': {
        const uri = a.uri.trim();
        if ((this.byUri.get(uri) ?? []).length > 0) this.link(uri, p, a.name, Event_Type.OUTPUT);
        else {
          this.create(p, 'Step_Metrics', Event_Type.OUTPUT, {
            uri: a.uri,
            name: a.name,
            properties: { Commit: prop('Commit', ''), url: prop('url', '') },
            customProperties: custom,
          });
        }
        return;
      }
      case 'Dataslice': {
        const uri = a.uri.trim();
        const existing = stored(uri);
        if (existing.length > 0) {
          // cmflib links a known slice as an input without looking for an existing link; a repeated one collides
          // with MLMD's event key and it merges the custom properties instead.
          const last = existing[existing.length - 1];
          if (this.joinedTyped.has(`${PipelineMerge.keyOf(last)}|${p.execution.id}|${Event_Type.INPUT}`)) {
            this.updateCustom(existing[0], custom);
          } else this.addEvent(last, p, Event_Type.INPUT, a.name);
        } else {
          this.create(p, 'Dataslice', Event_Type.OUTPUT, {
            uri,
            name: a.name,
            properties: { git_repo: prop('git_repo', ''), Commit: prop('Commit', ''), url: prop('url', ' ') },
            customProperties: custom,
          });
        }
        return;
      }
      default:
        // cmf-server skips artifact types it does not know (e.g. Validation_output).
        return;
    }
  }

  private create(
    p: PlacedExecution,
    type: ArtifactTypeName,
    event: Event_Type,
    a: { uri: string; name: string; properties: Props; customProperties: Props },
  ): void {
    const state: ArtifactState = { ...a, type, index: this.created.length, changed: false };
    this.created.push(state);
    this.createdIn.push({ stage: p.stage });
    this.statesOf(a.uri).push(state);
    this.addEvent(state, p, event);
  }

  private addEvent(artifact: ArtifactState, p: PlacedExecution, type: Event_Type, key?: string): void {
    this.events.push({ artifact, executionId: p.execution.id!, type, key });
    this.noteJoined(PipelineMerge.keyOf(artifact), p.execution.id!, type);
  }

  /** cmflib's link to an existing artifact: the LAST one with the uri, unless any event joins them already. */
  private link(uri: string, p: PlacedExecution, key: string, type: Event_Type): void {
    const list = this.byUri.get(uri)!;
    const artifact = list[list.length - 1];
    if (this.joined.has(`${PipelineMerge.keyOf(artifact)}|${p.execution.id}`)) return;
    this.addEvent(artifact, p, type, key);
  }

  private updateCustom(a: ArtifactState, custom: Props): void {
    const merged = mergedCustomProperties(a.customProperties, custom);
    if (sameProps(merged, a.customProperties)) return;
    a.customProperties = merged;
    a.changed = true;
  }

  private appendUrl(a: ArtifactState, url: string): void {
    if (!('url' in a.properties)) return;
    const old = stringOf(a.properties.url);
    const next = appendedUrl(old, url);
    if (next === old && a.properties.url?.value?.$case === 'stringValue') return;
    a.properties = { ...a.properties, url: str(next) };
    a.changed = true;
  }

  // ---------------------------------------------------------------- artifacts: writing

  private async artifactTypeId(name: ArtifactTypeName): Promise<bigint> {
    let id = this.typeIds.get(`artifact:${name}`);
    if (id === undefined) {
      id = await typeIdOf(this.m, 'artifact', name, ARTIFACT_TYPES[name]);
      this.typeIds.set(`artifact:${name}`, id);
    }
    return id;
  }

  private async writeArtifacts(): Promise<void> {
    const createdIds: bigint[] = [];
    if (this.created.length > 0) {
      const artifacts: Artifact[] = [];
      for (const a of this.created) {
        artifacts.push({
          typeId: await this.artifactTypeId(a.type as ArtifactTypeName),
          uri: a.uri,
          name: a.name,
          properties: a.properties,
          customProperties: a.customProperties,
        });
      }
      createdIds.push(...((await this.m.putArtifacts({ artifacts })).artifactIds ?? []));
      this.counts.artifacts += createdIds.length;
      this.changed = true;
    }
    const idOf = (a: ArtifactState): bigint => (a.stored ? a.stored.id! : createdIds[a.index!]);

    const updates: Artifact[] = [];
    for (const list of this.byUri.values()) {
      for (const a of list) {
        if (!a.stored || !a.changed) continue;
        updates.push({ ...forPut(a.stored), properties: a.properties, customProperties: a.customProperties });
      }
    }
    if (updates.length > 0) {
      await this.m.putArtifacts({ artifacts: updates });
      this.changed = true;
    }

    if (this.events.length > 0) {
      const now = BigInt(Date.now());
      const events: Event[] = this.events.map((e) => ({
        artifactId: idOf(e.artifact),
        executionId: e.executionId,
        type: e.type,
        // A new artifact's event carries its time and no path; a link carries the artifact's key as its path.
        ...(e.key === undefined
          ? { millisecondsSinceEpoch: now }
          : { path: { steps: [{ value: { $case: 'key' as const, value: e.key } }] } }),
      }));
      await this.m.putEvents({ events });
      this.counts.events += events.length;
      this.changed = true;
    }
    if (this.created.length > 0) {
      await this.m.putAttributionsAndAssociations({
        attributions: this.created.map((a, i) => ({ contextId: this.createdIn[i].stage.id, artifactId: idOf(a) })),
      });
    }
  }
}

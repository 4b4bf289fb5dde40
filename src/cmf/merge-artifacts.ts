/**
 * The artifact half of a merge (merge.ts): every event of the merged executions replayed in document order against
 * the stored artifacts of the uris the document names (read with one query), with cmflib's rules per artifact type,
 * then written with a few set-based calls (new artifacts, changed artifacts, events, attributions).
 *
 * The rules, as cmf-server applies them (cmflib's cmf_merger and the *_with_version / *_from_client loggers):
 * - Artifacts are identified by uri (content hash) across types; a link goes to the LAST artifact with the uri and is
 *   skipped when any event already joins it to the execution, while property updates go to the FIRST one.
 * - Dataset and Label reuse merge custom properties (cmflib's update conversion: floats become strings) and append
 *   the url; Model reuse appends the url to every artifact with the uri; Environment reuse appends the url.
 * - A new Model is named `path:hash:<this store's execution id>`, a Metrics `name:uuid:<execution id>` (and a Metrics
 *   artifact is created unless the first one with its uuid already has that name); a known Dataslice is linked as
 *   an input; artifact types cmf-server does not know are skipped.
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
import type { InArtifact, InExecution, Props } from './interchange';
import {
  appendedUrl,
  ARTIFACT_TYPES,
  type ArtifactTypeName,
  mergedCustomProperties,
  pyStrOf,
  str,
  stringOf,
  withOriginalCreateTime,
} from './model';
import { forPut, typeIdOf } from './records';
import { uuid1 } from './uuid1';

/** A document execution with the stage context it merges into. */
export interface StagedExecution {
  source: InExecution;
  stage: Context;
}

/** ... and the stored execution it became (created, or a reusable execution found by name). */
export interface PlacedExecution extends StagedExecution {
  execution: Execution;
}

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

const sameValue = (a: Value | undefined, b: Value | undefined): boolean =>
  a?.value?.$case === b?.value?.$case && a?.value?.value === b?.value?.value;

function sameProps(a: Props, b: Props): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => sameValue(a[k], b[k]));
}

export interface ArtifactMergeResult {
  artifacts: number;
  events: number;
  /** Whether anything was written (a stored artifact may change without a new one). */
  changed: boolean;
}

/** Merges the artifacts and events of the placed executions; see the module comment. */
export async function mergeArtifacts(m: MlmdApi, placed: readonly PlacedExecution[]): Promise<ArtifactMergeResult> {
  const merge = new ArtifactMerge(m);
  await merge.plan(placed);
  return merge.write();
}

class ArtifactMerge {
  private readonly byUri = new Map<string, ArtifactState[]>();
  private readonly created: ArtifactState[] = [];
  private readonly createdIn: Array<{ stage: Context }> = [];
  /** "artifactKey|executionId" of every stored or planned event (any type), and with the type. */
  private readonly joined = new Set<string>();
  private readonly joinedTyped = new Set<string>();
  private readonly events: Array<{ artifact: ArtifactState; executionId: bigint; type: Event_Type; key?: string }> = [];
  private readonly typeIds = new Map<string, bigint>();

  constructor(private readonly m: MlmdApi) {}

  // ---------------------------------------------------------------- artifacts: planning

  /** The uri each event's artifact is looked up by (a Metrics artifact by the uuid inside its name). */
  private static lookupUri(a: InArtifact, path: string): string {
    if (a.type !== 'Metrics') return a.uri;
    const tokens = a.name.split(':');
    if (tokens.length < 3) throw invalidArgument(`${path}.name: a Metrics name is "name:uuid:execution_id"`);
    return tokens[1];
  }

  async plan(placed: readonly PlacedExecution[]): Promise<void> {
    // The stored artifacts of every uri the document names, in id order (one query).
    const uris = new Set<string>();
    for (const p of placed) {
      p.source.events.forEach((e, j) =>
        uris.add(ArtifactMerge.lookupUri(e.artifact, `${p.source.path}.events[${j}].artifact`)),
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
          if (this.joinedTyped.has(`${ArtifactMerge.keyOf(last)}|${p.execution.id}|${Event_Type.INPUT}`)) {
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
    this.noteJoined(ArtifactMerge.keyOf(artifact), p.execution.id!, type);
  }

  /** cmflib's link to an existing artifact: the LAST one with the uri, unless any event joins them already. */
  private link(uri: string, p: PlacedExecution, key: string, type: Event_Type): void {
    const list = this.byUri.get(uri)!;
    const artifact = list[list.length - 1];
    if (this.joined.has(`${ArtifactMerge.keyOf(artifact)}|${p.execution.id}`)) return;
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

  async write(): Promise<ArtifactMergeResult> {
    const result: ArtifactMergeResult = { artifacts: 0, events: 0, changed: false };
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
      result.artifacts += createdIds.length;
      result.changed = true;
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
      result.changed = true;
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
      result.events += events.length;
      result.changed = true;
    }
    if (this.created.length > 0) {
      await this.m.putAttributionsAndAssociations({
        attributions: this.created.map((a, i) => ({ contextId: this.createdIn[i].stage.id, artifactId: idOf(a) })),
      });
    }
    return result;
  }
}

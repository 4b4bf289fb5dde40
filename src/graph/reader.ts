/** What one batch's projection reads, each thing once: nodes, each execution's stages, CMF-ness, uri neighbours. */
import { associatedContextsOfType, executionsAroundUri, tiedToContextOfType } from '../mlmd/projection-reads';
import type { Tx } from '../storage/database';
import { CMF_ARTIFACT_LABELS, CMF_STAGE_TYPE, type Kind, type NodeRecord } from './model';
import { loadNodes } from './records';

/** State read once per batch; nodes and CMF-ness are cached. */
export class Reader {
  private readonly nodes: Record<Kind, Map<bigint, NodeRecord>> = {
    artifact: new Map(),
    execution: new Map(),
    context: new Map(),
  };
  /** execution id -> the Pipeline_Stage contexts it is associated with. */
  private readonly stagesOf = new Map<bigint, bigint[]>();
  private readonly cmfArtifact = new Map<bigint, boolean>();
  private readonly uriEvents = new Map<string, Array<{ executionId: bigint; artifactName: string | null }>>();

  constructor(readonly tx: Tx) {}

  async nodesOf(kind: Kind, ids: Iterable<bigint>): Promise<NodeRecord[]> {
    const cache = this.nodes[kind];
    const missing = [...new Set(ids)].filter((id) => !cache.has(id));
    for (let i = 0; i < missing.length; i += 5000) {
      for (const [id, n] of await loadNodes(this.tx, kind, missing.slice(i, i + 5000))) cache.set(id, n);
    }
    return [...new Set(ids)].flatMap((id) => (cache.has(id) ? [cache.get(id)!] : []));
  }

  async node(kind: Kind, id: bigint): Promise<NodeRecord | undefined> {
    return (await this.nodesOf(kind, [id]))[0];
  }

  /** The Pipeline_Stage contexts of each execution (an execution with one is a CMF Execution). */
  async stagesOfExecutions(ids: Iterable<bigint>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.stagesOf.has(id));
    if (missing.length === 0) return;
    for (const id of missing) this.stagesOf.set(id, []);
    for (let i = 0; i < missing.length; i += 5000) {
      const pairs = await associatedContextsOfType(this.tx, CMF_STAGE_TYPE, missing.slice(i, i + 5000));
      for (const p of pairs) this.stagesOf.get(p.executionId)!.push(p.contextId);
    }
  }

  /**
   * The executions with an event of `eventType` on any artifact of this type and uri (with the artifact's name),
   * read once per batch: every consumer of a widely shared dataset asks for the same producers.
   */
  async eventsOfUri(
    typeId: bigint,
    uri: string,
    eventType: number,
  ): Promise<Array<{ executionId: bigint; artifactName: string | null }>> {
    const key = `${typeId}\u0000${eventType}\u0000${uri}`;
    let peers = this.uriEvents.get(key);
    if (!peers) {
      peers = await executionsAroundUri(this.tx, typeId, uri, eventType);
      this.uriEvents.set(key, peers);
    }
    return peers;
  }

  async isCmfExecution(id: bigint): Promise<boolean> {
    await this.stagesOfExecutions([id]);
    return (this.stagesOf.get(id) ?? []).length > 0;
  }

  stages(id: bigint): bigint[] {
    return this.stagesOf.get(id) ?? [];
  }

  /** A CMF artifact: one of cmflib's artifact types, attributed to a stage or linked to a CMF execution. */
  async isCmfArtifact(a: NodeRecord): Promise<boolean> {
    if (!CMF_ARTIFACT_LABELS.has(a.type)) return false;
    const known = this.cmfArtifact.get(a.id);
    if (known !== undefined) return known;
    const hit = await tiedToContextOfType(this.tx, a.id, CMF_STAGE_TYPE);
    this.cmfArtifact.set(a.id, hit);
    return hit;
  }
}

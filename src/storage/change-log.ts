/**
 * The per-transaction change log: which MLMD records a write transaction touched, recorded by the domain's few
 * write points (the node writer, the event and attribution/association writers, parent contexts) so a projection
 * (src/graph/) can append them to its outbox table inside the same transaction.
 *
 * Logging is opt-in per transaction: a log exists only when whoever opened the transaction attached one (the
 * graph projection's Database wrapper does, when the projection is enabled). Without one, `noteChanged` is a
 * WeakMap miss and nothing else, so the write path does not pay for a projection that is off.
 *
 * Records are named by kind and id only; the projection reads their current state after commit, so a log entry
 * never has to describe what changed.
 */
import type { Tx } from './database';

export type ChangedKind = 'artifact' | 'execution' | 'context' | 'event';
export type LinkKind = 'attribution' | 'association' | 'parent_context';

export class ChangeLog {
  readonly artifacts = new Set<bigint>();
  readonly executions = new Set<bigint>();
  readonly contexts = new Set<bigint>();
  readonly events = new Set<bigint>();
  /** "contextId,artifactId" / "contextId,executionId" / "childId,parentId". */
  readonly attributions = new Set<string>();
  readonly associations = new Set<string>();
  readonly parentContexts = new Set<string>();

  add(kind: ChangedKind, id: bigint): void {
    const set = { artifact: this.artifacts, execution: this.executions, context: this.contexts, event: this.events }[
      kind
    ];
    set.add(id);
  }

  addLink(kind: LinkKind, a: bigint, b: bigint): void {
    const set = { attribution: this.attributions, association: this.associations, parent_context: this.parentContexts }[
      kind
    ];
    set.add(`${a},${b}`);
  }

  get empty(): boolean {
    return (
      this.artifacts.size +
        this.executions.size +
        this.contexts.size +
        this.events.size +
        this.attributions.size +
        this.associations.size +
        this.parentContexts.size ===
      0
    );
  }
}

const logs = new WeakMap<Tx, ChangeLog>();

/** Starts logging the changes made through `tx` (until `detachChangeLog`). */
export function attachChangeLog(tx: Tx): ChangeLog {
  const log = new ChangeLog();
  logs.set(tx, log);
  return log;
}

export function detachChangeLog(tx: Tx): ChangeLog | undefined {
  const log = logs.get(tx);
  logs.delete(tx);
  return log;
}

/** Notes that records of `kind` were inserted or updated in the transaction of `tx`. */
export function noteChanged(tx: Tx, kind: ChangedKind, ...ids: readonly bigint[]): void {
  const log = logs.get(tx);
  if (!log) return;
  for (const id of ids) log.add(kind, id);
}

/** Notes link rows written in the transaction of `tx` (pairs in the order the kind's comment gives). */
export function noteLinked(tx: Tx, kind: LinkKind, pairs: ReadonlyArray<readonly [bigint, bigint]>): void {
  const log = logs.get(tx);
  if (!log) return;
  for (const [a, b] of pairs) log.addLink(kind, a, b);
}

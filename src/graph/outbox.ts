/**
 * The outbox: a table of our own (the ml-metadata package ignores tables it does not know) holding, per committed
 * write transaction, the MLMD records it touched. Rows are appended inside the writing transaction itself, so a
 * change is in the outbox if and only if it is in the store; the worker (worker.ts) drains them after commit.
 *
 * The outbox is written only while the projection is enabled: a store written with it off is brought up to date
 * by `resync`, which rebuilds the graph from the records themselves.
 */
import { attachChangeLog, type ChangeLog, detachChangeLog } from '../storage/change-log';
import type { Database, Row, SqlValue, Tx, TxMode } from '../storage/database';
import type { TableSpec } from '../storage/schema';
import { delegatingTx, idSet } from '../storage/sql';

export const OUTBOX_TABLE = 'CmfGraphOutbox';

/** The outbox in the schema description every dialect's DDL derives from (storage/schema.ts). */
export const OUTBOX_SPEC: TableSpec = {
  name: OUTBOX_TABLE,
  columns: [
    { name: 'id', sqliteType: 'INTEGER', constraint: 'PRIMARY KEY AUTOINCREMENT', int64: true },
    { name: 'kind', sqliteType: 'TEXT', constraint: 'NOT NULL' },
    { name: 'payload', sqliteType: 'TEXT', constraint: 'NOT NULL' },
    // A timestamp (ms), BIGINT outside SQLite.
    { name: 'created_at', sqliteType: 'INT', constraint: 'NOT NULL', int64: true },
  ],
};

/** Creates the outbox table when missing. */
export async function ensureOutbox(db: Database): Promise<void> {
  await db.transaction('write', async (tx) => {
    await tx.run(tx.adapter.ddl.createTable(OUTBOX_SPEC));
  });
}

/** What one outbox row carries: ids of touched records, and link rows as [a, b] pairs. */
export interface Changes {
  artifacts: bigint[];
  executions: bigint[];
  contexts: bigint[];
  events: bigint[];
  /** [context, artifact] */
  attributions: Array<[bigint, bigint]>;
  /** [context, execution] */
  associations: Array<[bigint, bigint]>;
  /** [child, parent] */
  parentContexts: Array<[bigint, bigint]>;
}

export const noChanges = (): Changes => ({
  artifacts: [],
  executions: [],
  contexts: [],
  events: [],
  attributions: [],
  associations: [],
  parentContexts: [],
});

const pairs = (set: Set<string>): string[] => [...set].map((p) => `[${p}]`);

/** Compact JSON: {"a":[1,2],"at":[[3,1]],...}; empty lists are left out. */
export function encodeChanges(log: ChangeLog): string {
  const parts: string[] = [];
  const add = (key: string, items: string[]): void => {
    if (items.length > 0) parts.push(`"${key}":[${items.join(',')}]`);
  };
  add('a', [...log.artifacts].map(String));
  add('x', [...log.executions].map(String));
  add('c', [...log.contexts].map(String));
  add('ev', [...log.events].map(String));
  add('at', pairs(log.attributions));
  add('as', pairs(log.associations));
  add('pc', pairs(log.parentContexts));
  return `{${parts.join(',')}}`;
}

/** Merges the payloads of several outbox rows into `into` (ids stay unique). */
export function decodeChangesInto(into: Changes, payload: string): void {
  const p = JSON.parse(payload) as Record<string, Array<number | [number, number]>>;
  const ids = (key: string): bigint[] => ((p[key] ?? []) as number[]).map((n) => BigInt(n));
  const prs = (key: string): Array<[bigint, bigint]> =>
    ((p[key] ?? []) as Array<[number, number]>).map(([a, b]) => [BigInt(a), BigInt(b)]);
  into.artifacts.push(...ids('a'));
  into.executions.push(...ids('x'));
  into.contexts.push(...ids('c'));
  into.events.push(...ids('ev'));
  into.attributions.push(...prs('at'));
  into.associations.push(...prs('as'));
  into.parentContexts.push(...prs('pc'));
}

export function dedupeChanges(c: Changes): Changes {
  const ids = (l: bigint[]): bigint[] => [...new Set(l)];
  const prs = (l: Array<[bigint, bigint]>): Array<[bigint, bigint]> => {
    const seen = new Map<string, [bigint, bigint]>();
    for (const p of l) seen.set(`${p[0]},${p[1]}`, p);
    return [...seen.values()];
  };
  return {
    artifacts: ids(c.artifacts),
    executions: ids(c.executions),
    contexts: ids(c.contexts),
    events: ids(c.events),
    attributions: prs(c.attributions),
    associations: prs(c.associations),
    parentContexts: prs(c.parentContexts),
  };
}

/**
 * Wraps a Database so every write transaction logs the records it touches (src/storage/change-log.ts) and appends
 * them as one outbox row just before it commits. Each transaction gets its own Tx object (delegating to the
 * backend's), so concurrent transactions of an asynchronous backend keep separate logs. `afterCommit` runs once a
 * transaction that appended a row has committed (the worker uses it to wake up).
 */
export function withOutbox(db: Database, afterCommit: () => void = () => undefined): Database {
  return {
    dialect: db.dialect,
    adapter: db.adapter,
    close: () => db.close(),
    // Reads append nothing: a whole read runs where the backend runs it.
    ...(db.readTask && { readTask: db.readTask.bind(db) }),
    ...(db.prepareReadTask && { prepareReadTask: db.prepareReadTask.bind(db) }),
    async transaction<T>(mode: TxMode, body: (tx: Tx) => Promise<T>): Promise<T> {
      if (mode !== 'write') return db.transaction(mode, body);
      let appended = false;
      const result = await db.transaction(mode, async (inner) => {
        const tx = delegatingTx(inner);
        attachChangeLog(tx);
        try {
          const value = await body(tx);
          const log = detachChangeLog(tx);
          if (log && !log.empty) {
            await inner.run(`INSERT INTO ${OUTBOX_TABLE} (kind, payload, created_at) VALUES (?, ?, ?)`, [
              'changes',
              encodeChanges(log),
              BigInt(Date.now()),
            ]);
            appended = true;
          }
          return value;
        } finally {
          detachChangeLog(tx);
        }
      });
      if (appended) afterCommit();
      return result;
    },
  };
}

export interface OutboxRow {
  id: bigint;
  payload: string;
  createdAt: number;
}

/** The oldest `limit` rows, in order. */
export async function readOutbox(db: Database, limit: number): Promise<OutboxRow[]> {
  return db.transaction('read', async (tx) => {
    const rows = await tx.all<{ id: bigint; payload: string; created_at: bigint }>(
      `SELECT id, payload, created_at FROM ${OUTBOX_TABLE} ORDER BY id LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, payload: r.payload, createdAt: Number(r.created_at) }));
  });
}

/** Deletes drained rows by id (not by range: an asynchronous backend may commit a lower id later). */
export async function deleteOutbox(db: Database, ids: readonly bigint[]): Promise<void> {
  if (ids.length === 0) return;
  await db.transaction('write', async (tx) => {
    const set = idSet(tx, ids);
    await tx.run(`DELETE FROM ${OUTBOX_TABLE} WHERE id IN (${set.sql})`, [set.param]);
  });
}

export interface OutboxLag {
  /** Undrained rows (committed write transactions not yet in Neo4j). */
  rows: number;
  /** Age of the oldest undrained row in ms (0 when empty). */
  oldestAgeMs: number;
}

export async function outboxLag(db: Database): Promise<OutboxLag> {
  return db.transaction('read', async (tx) => {
    const r = await tx.get<{ n: bigint; oldest: bigint | null }>(
      `SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM ${OUTBOX_TABLE}`,
    );
    const rows = Number(r?.n ?? 0n);
    return { rows, oldestAgeMs: rows > 0 && r?.oldest != null ? Math.max(0, Date.now() - Number(r.oldest)) : 0 };
  });
}

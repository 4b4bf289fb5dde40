/**
 * `resync`: rebuilds the whole graph from the store, for a store written while the projection was off (the outbox
 * only exists while it is on) or a Neo4j database that was lost. Walks every record in id order, in chunks, and
 * projects it exactly as the live worker does (project.ts), so the result is the graph live projection gives.
 * Idempotent: everything is MERGEd on stable keys; `clear` first deletes the projection's own nodes.
 */
import type { Driver } from 'neo4j-driver';
import type { Database, SqlValue } from '../storage/database';
import { clearGraph, ensureSchema, writeRows } from './neo4j';
import { type Changes, noChanges } from './outbox';
import { projectChanges } from './project';

export interface ResyncOptions {
  database?: string;
  clear?: boolean;
  chunk?: number;
  log?: (line: string) => void;
}

export interface ResyncReport {
  artifacts: number;
  executions: number;
  contexts: number;
  events: number;
  ms: number;
}

/**
 * A table walked in key order, a chunk at a time: `key` is its primary key (ParentContext has no id, so its key is
 * the (child, parent) pair; a row-value comparison pages through it on every dialect).
 */
type Source = {
  table: string;
  key: string[];
  fill: (c: Changes, r: Record<string, unknown>) => void;
  count: keyof ResyncReport | null;
};

const SOURCES: Source[] = [
  { table: 'Context', key: ['id'], fill: (c, r) => c.contexts.push(r.id as bigint), count: 'contexts' },
  {
    table: 'ParentContext',
    key: ['context_id', 'parent_context_id'],
    fill: (c, r) => c.parentContexts.push([r.context_id as bigint, r.parent_context_id as bigint]),
    count: null,
  },
  { table: 'Execution', key: ['id'], fill: (c, r) => c.executions.push(r.id as bigint), count: 'executions' },
  { table: 'Artifact', key: ['id'], fill: (c, r) => c.artifacts.push(r.id as bigint), count: 'artifacts' },
  {
    table: 'Association',
    key: ['id', 'context_id', 'execution_id'],
    fill: (c, r) => c.associations.push([r.context_id as bigint, r.execution_id as bigint]),
    count: null,
  },
  {
    table: 'Attribution',
    key: ['id', 'context_id', 'artifact_id'],
    fill: (c, r) => c.attributions.push([r.context_id as bigint, r.artifact_id as bigint]),
    count: null,
  },
  { table: 'Event', key: ['id'], fill: (c, r) => c.events.push(r.id as bigint), count: 'events' },
];

/** The next chunk after `after` (the previous chunk's last row, undefined at the start). */
function nextChunkSql(source: Source, pageKey: string[], after: unknown[] | undefined): string {
  const where = after ? ` WHERE (${pageKey.join(', ')}) > (${pageKey.map(() => '?').join(', ')})` : '';
  return `SELECT ${source.key.join(', ')} FROM ${source.table}${where} ORDER BY ${pageKey.join(', ')} LIMIT ?`;
}

export async function resync(db: Database, driver: Driver, options: ResyncOptions = {}): Promise<ResyncReport> {
  const started = Date.now();
  const chunk = options.chunk ?? 1000;
  const report: ResyncReport = { artifacts: 0, executions: 0, contexts: 0, events: 0, ms: 0 };
  if (options.clear) await clearGraph(driver, options.database);
  await ensureSchema(driver, options.database);
  for (const source of SOURCES) {
    // Link tables page by id; the pair of ParentContext is its primary key.
    const pageKey = source.table === 'ParentContext' ? source.key : ['id'];
    let after: SqlValue[] | undefined;
    for (;;) {
      const rows = await db.transaction('read', (tx) =>
        tx.all(nextChunkSql(source, pageKey, after), [...(after ?? []), chunk]),
      );
      if (rows.length === 0) break;
      const changes = noChanges();
      for (const r of rows) source.fill(changes, r);
      const graphRows = await db.transaction('read', (tx) => projectChanges(tx, changes));
      await writeRows(driver, graphRows, options.database);
      if (source.count) report[source.count] += rows.length;
      const last = rows[rows.length - 1];
      after = pageKey.map((k) => last[k]);
      if (rows.length < chunk) break;
    }
    options.log?.(`resync: ${source.table} done`);
  }
  report.ms = Date.now() - started;
  return report;
}

/**
 * `resync`: rebuilds the whole graph from the store, for a store written while the projection was off (the outbox
 * only exists while it is on) or a Neo4j database that was lost. Walks every record in id order, in chunks, and
 * projects it exactly as the live worker does (project.ts), so the result is the graph live projection gives.
 * Idempotent: everything is MERGEd on stable keys; `clear` first deletes the projection's own nodes.
 */
import type { Driver } from 'neo4j-driver';
import type { Database } from '../storage/database';
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

type Source = {
  table: string;
  select: string;
  fill: (c: Changes, r: Record<string, unknown>) => void;
  count: keyof ResyncReport | null;
};

const SOURCES: Source[] = [
  { table: 'Context', select: 'id AS k, id', fill: (c, r) => c.contexts.push(r.id as bigint), count: 'contexts' },
  {
    table: 'ParentContext',
    select: 'rowid AS k, context_id, parent_context_id',
    fill: (c, r) => c.parentContexts.push([r.context_id as bigint, r.parent_context_id as bigint]),
    count: null,
  },
  { table: 'Execution', select: 'id AS k, id', fill: (c, r) => c.executions.push(r.id as bigint), count: 'executions' },
  { table: 'Artifact', select: 'id AS k, id', fill: (c, r) => c.artifacts.push(r.id as bigint), count: 'artifacts' },
  {
    table: 'Association',
    select: 'id AS k, context_id, execution_id',
    fill: (c, r) => c.associations.push([r.context_id as bigint, r.execution_id as bigint]),
    count: null,
  },
  {
    table: 'Attribution',
    select: 'id AS k, context_id, artifact_id',
    fill: (c, r) => c.attributions.push([r.context_id as bigint, r.artifact_id as bigint]),
    count: null,
  },
  { table: 'Event', select: 'id AS k, id', fill: (c, r) => c.events.push(r.id as bigint), count: 'events' },
];

export async function resync(db: Database, driver: Driver, options: ResyncOptions = {}): Promise<ResyncReport> {
  const started = Date.now();
  const chunk = options.chunk ?? 1000;
  const report: ResyncReport = { artifacts: 0, executions: 0, contexts: 0, events: 0, ms: 0 };
  if (options.clear) await clearGraph(driver, options.database);
  await ensureSchema(driver, options.database);
  for (const source of SOURCES) {
    // ParentContext has no id column; SQLite's rowid orders it, PostgreSQL pages by the key pair instead.
    const keyed = source.table !== 'ParentContext' || db.dialect === 'sqlite';
    let after: bigint = -1n;
    let offset = 0;
    for (;;) {
      const rows = await db.transaction('read', (tx) =>
        keyed
          ? tx.all(
              `SELECT ${source.select} FROM ${source.table} WHERE ${source.table === 'ParentContext' ? 'rowid' : 'id'} > ? ORDER BY k LIMIT ?`,
              [after, chunk],
            )
          : tx.all(
              `SELECT 0 AS k, context_id, parent_context_id FROM ParentContext ORDER BY context_id, parent_context_id LIMIT ? OFFSET ?`,
              [chunk, offset],
            ),
      );
      if (rows.length === 0) break;
      const changes = noChanges();
      for (const r of rows) source.fill(changes, r);
      const graphRows = await db.transaction('read', (tx) => projectChanges(tx, changes));
      await writeRows(driver, graphRows, options.database);
      if (source.count) report[source.count] += rows.length;
      after = rows[rows.length - 1].k as bigint;
      offset += rows.length;
      if (rows.length < chunk) break;
    }
    options.log?.(`resync: ${source.table} done`);
  }
  report.ms = Date.now() - started;
  return report;
}

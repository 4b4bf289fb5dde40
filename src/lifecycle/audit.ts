/**
 * The audit trail of deletions: a table of ours beside MLMD's schema (the ml-metadata package ignores tables it does
 * not know), one row per deletion carried out (dry runs are not recorded), written in the deletion's transaction.
 */
import { DeleteSelection, type Deletion, type ListDeletionsResponse } from '../../generated/cmf_mlmd/v1/lifecycle';
import { invalidArgument } from '../errors';
import type { Database, Tx } from '../storage/database';
import type { TableSpec } from '../storage/schema';
import { insertReturningId } from '../storage/sql';

export const DELETION_TABLE = 'CmfDeletion';

export const DELETION_SPEC: TableSpec = {
  name: DELETION_TABLE,
  columns: [
    { name: 'id', sqliteType: 'INTEGER', constraint: 'PRIMARY KEY AUTOINCREMENT', int64: true },
    { name: 'principal', sqliteType: 'VARCHAR(255)', constraint: 'NOT NULL' },
    // Milliseconds since the epoch.
    { name: 'time_millis', sqliteType: 'INTEGER', constraint: 'NOT NULL', int64: true },
    // The request's DeleteSelection in proto3 JSON.
    { name: 'selection', sqliteType: 'TEXT', constraint: 'NOT NULL' },
    { name: 'mode', sqliteType: 'INTEGER', constraint: 'NOT NULL' },
    { name: 'artifacts', sqliteType: 'INTEGER', constraint: 'NOT NULL', int64: true },
    { name: 'executions', sqliteType: 'INTEGER', constraint: 'NOT NULL', int64: true },
    { name: 'contexts', sqliteType: 'INTEGER', constraint: 'NOT NULL', int64: true },
    { name: 'events', sqliteType: 'INTEGER', constraint: 'NOT NULL', int64: true },
  ],
};

/** Creates the table where missing (at start-up, beside the other tables of ours). */
export async function ensureDeletionTable(db: Database): Promise<void> {
  await db.transaction('write', async (tx) => {
    await tx.run(tx.adapter.ddl.createTable(DELETION_SPEC));
  });
}

export interface DeletionRecord {
  principal: string;
  timeMillis: bigint;
  selection: DeleteSelection;
  mode: number;
  artifacts: bigint;
  executions: bigint;
  contexts: bigint;
  events: bigint;
}

/** Records a deletion inside its transaction; returns the record's id. */
export function recordDeletion(tx: Tx, r: DeletionRecord): Promise<bigint> {
  return insertReturningId(
    tx,
    `INSERT INTO ${DELETION_TABLE} (principal, time_millis, selection, mode, artifacts, executions, contexts, events) ` +
      `VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      r.principal,
      r.timeMillis,
      JSON.stringify(DeleteSelection.toJSON(r.selection)),
      r.mode,
      r.artifacts,
      r.executions,
      r.contexts,
      r.events,
    ],
  );
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

type Row = {
  id: bigint;
  principal: string;
  time_millis: bigint;
  selection: string;
  mode: bigint;
  artifacts: bigint;
  executions: bigint;
  contexts: bigint;
  events: bigint;
};

/** Past deletions, newest first; the page token is the last listed id. */
export async function listDeletions(db: Database, pageSize = 0, pageToken = ''): Promise<ListDeletionsResponse> {
  if (pageSize < 0) throw invalidArgument(`page_size must not be negative: ${pageSize}`);
  const size = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  let before: bigint | undefined;
  if (pageToken) {
    if (!/^[1-9][0-9]{0,18}$/.test(pageToken)) throw invalidArgument('page_token is not a token this service issued');
    before = BigInt(pageToken);
  }
  const rows = await db.transaction('read', (tx) =>
    tx.all<Row>(
      `SELECT id, principal, time_millis, selection, mode, artifacts, executions, contexts, events ` +
        `FROM ${DELETION_TABLE} ${before === undefined ? '' : 'WHERE id < ?'} ORDER BY id DESC LIMIT ?`,
      [...(before === undefined ? [] : [before]), size + 1],
    ),
  );
  const page = rows.slice(0, size);
  return {
    deletions: page.map(toDeletion),
    nextPageToken: rows.length > size ? String(page[page.length - 1].id) : '',
  };
}

function toDeletion(r: Row): Deletion {
  return {
    id: r.id,
    principal: r.principal,
    timeMillis: r.time_millis,
    selection: DeleteSelection.fromJSON(JSON.parse(r.selection)),
    mode: Number(r.mode),
    artifacts: r.artifacts,
    executions: r.executions,
    contexts: r.contexts,
    events: r.events,
  };
}

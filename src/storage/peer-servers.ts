/**
 * The registry of peer cmf-servers (cmf-server's `registered_servers` table): a table of our own beside MLMD's
 * schema (the ml-metadata package ignores tables it does not know), holding each registered server's name, URL
 * (unique) and the time of its last successful sync.
 */
import { type Database, UniqueViolation } from './database';
import type { TableSpec } from './schema';
import { withSavepoint } from './sql';

export const PEER_TABLE = 'CmfRegisteredServer';

export interface PeerServer {
  id: bigint;
  serverName: string;
  hostInfo: string;
  /** Milliseconds since the epoch; null before the first sync. */
  lastSyncTime: bigint | null;
}

/** The registry in the schema description every dialect's DDL derives from (schema.ts). */
export const PEER_SPEC: TableSpec = {
  name: PEER_TABLE,
  columns: [
    { name: 'id', sqliteType: 'INTEGER', constraint: 'PRIMARY KEY AUTOINCREMENT', int64: true },
    { name: 'server_name', sqliteType: 'TEXT', constraint: 'NOT NULL' },
    // VARCHAR: MySQL indexes (and so makes UNIQUE) only bounded columns; 512 characters fit its key limit in utf8mb4.
    { name: 'host_info', sqliteType: 'VARCHAR(512)', constraint: 'NOT NULL UNIQUE' },
    // Milliseconds since the epoch.
    { name: 'last_sync_time', sqliteType: 'INTEGER', int64: true },
  ],
};

export async function ensurePeerTable(db: Database): Promise<void> {
  await db.transaction('write', async (tx) => {
    await tx.run(tx.adapter.ddl.createTable(PEER_SPEC));
  });
}

type Row = { id: bigint; server_name: string; host_info: string; last_sync_time: bigint | null };
const toPeer = (r: Row): PeerServer => ({
  id: r.id,
  serverName: r.server_name,
  hostInfo: r.host_info,
  lastSyncTime: r.last_sync_time,
});

/** Registers a server; false when its URL is registered already. */
export async function registerPeer(db: Database, serverName: string, hostInfo: string): Promise<boolean> {
  return db.transaction('write', async (tx) => {
    try {
      // Not ON CONFLICT DO NOTHING and the changed-row count: MySQL counts a row left alone as changed.
      await withSavepoint(tx, () =>
        tx.run(`INSERT INTO ${PEER_TABLE} (server_name, host_info) VALUES (?, ?)`, [serverName, hostInfo]),
      );
      return true;
    } catch (e) {
      if (e instanceof UniqueViolation) return false;
      throw e;
    }
  });
}

export async function listPeers(db: Database): Promise<PeerServer[]> {
  return db.transaction('read', async (tx) =>
    (await tx.all<Row>(`SELECT id, server_name, host_info, last_sync_time FROM ${PEER_TABLE} ORDER BY id`)).map(toPeer),
  );
}

/** The registered server with this name and URL, if any. */
export async function findPeer(db: Database, serverName: string, hostInfo: string): Promise<PeerServer | undefined> {
  return db.transaction('read', async (tx) => {
    const row = await tx.get<Row>(
      `SELECT id, server_name, host_info, last_sync_time FROM ${PEER_TABLE} WHERE server_name = ? AND host_info = ?`,
      [serverName, hostInfo],
    );
    return row && toPeer(row);
  });
}

export async function setPeerSyncTime(db: Database, id: bigint, millis: bigint): Promise<void> {
  await db.transaction('write', async (tx) => {
    await tx.run(`UPDATE ${PEER_TABLE} SET last_sync_time = ? WHERE id = ?`, [millis, id]);
  });
}

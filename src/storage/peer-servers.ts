/**
 * The registry of peer cmf-servers (cmf-server's `registered_servers` table): a table of our own beside MLMD's
 * schema (the ml-metadata package ignores tables it does not know), holding each registered server's name, URL
 * (unique) and the time of its last successful sync.
 */
import type { Database } from './database';

export const PEER_TABLE = 'CmfRegisteredServer';

export interface PeerServer {
  id: bigint;
  serverName: string;
  hostInfo: string;
  /** Milliseconds since the epoch; null before the first sync. */
  lastSyncTime: bigint | null;
}

const DDL = {
  sqlite:
    `CREATE TABLE IF NOT EXISTS ${PEER_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, server_name TEXT NOT NULL, ` +
    `host_info TEXT NOT NULL UNIQUE, last_sync_time INTEGER)`,
  postgres:
    `CREATE TABLE IF NOT EXISTS ${PEER_TABLE} (id BIGSERIAL PRIMARY KEY, server_name TEXT NOT NULL, ` +
    `host_info TEXT NOT NULL UNIQUE, last_sync_time BIGINT)`,
} as const;

export async function ensurePeerTable(db: Database): Promise<void> {
  await db.transaction('write', async (tx) => {
    await tx.run(DDL[tx.dialect]);
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
    const { changes } = await tx.run(
      `INSERT INTO ${PEER_TABLE} (server_name, host_info) VALUES (?, ?) ON CONFLICT (host_info) DO NOTHING`,
      [serverName, hostInfo],
    );
    return changes > 0;
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

/**
 * Server-to-server federation as cmf-server 0.1.0 has it: register a peer (after it acknowledges), list the
 * registered peers, and sync from one: pull what changed on the peer since the last sync (its /api/mlmd_pull with
 * last_sync_time), fetch the Python environment files it names, and merge the metadata with the push merge.
 *
 * The sync time is our clock when the sync started (as cmf-server): a change the peer commits while we pull is
 * fetched again next time rather than missed, and the merge skips what is present already.
 */
import { mergeDocument } from '../cmf/api';
import { environmentFileNames, type InterchangeDocument, readInterchange } from '../cmf/interchange';
import { Code, MlmdError, notFound } from '../errors';
import type { Database } from '../storage/database';
import { findPeer, listPeers, registerPeer, setPeerSyncTime } from '../storage/peer-servers';
import { type CmfDataDir, DataDirError } from './files';
import { callPeer, checkPeerUrl, PeerError } from './peer-client';
import { readZip, ZipError } from './zip';

export interface FederationOptions {
  db: Database;
  dataDir: CmfDataDir;
  /** The largest metadata document accepted from a peer (the push limit). */
  maxPullBytes: number;
  /** The largest env-file zip accepted from a peer, and its unpacked size. */
  maxZipBytes: number;
  /** Hosts that name this server, with the port of its HTTP listener (known once bound): registering that host and
   * port is refused, as cmf-server refuses to register itself. */
  ownHosts: readonly string[];
  ownPort: () => number;
  timeouts?: Partial<typeof DEFAULT_TIMEOUTS>;
}

export const DEFAULT_TIMEOUTS = { acknowledgeMs: 10_000, pullMs: 300_000, envMs: 60_000 };

export interface SyncResult {
  message: string;
  status: string;
  last_sync_time: number;
}

export class Federation {
  private readonly timeouts: typeof DEFAULT_TIMEOUTS;

  constructor(private readonly options: FederationOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  }

  private isSelf(url: URL): boolean {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return port === this.options.ownPort() && this.options.ownHosts.includes(host);
  }

  async register(serverName: string, serverUrl: string): Promise<{ message: string }> {
    const url = checkPeerUrl(serverUrl);
    if (this.isSelf(url)) return { message: 'Registration failed: Cannot register the server with its own details.' };
    const answer = await callPeer(
      url,
      '/api/acknowledge',
      { method: 'POST', json: { server_name: serverName, server_url: serverUrl } },
      { timeoutMs: this.timeouts.acknowledgeMs, maxBytes: 64 * 1024 },
    );
    if (answer.status !== 200)
      throw new PeerError(`Target server did not respond successfully (HTTP ${answer.status})`);
    const added = await registerPeer(this.options.db, serverName, serverUrl);
    return { message: added ? 'Server registered successfully' : 'Server is already registered' };
  }

  async list(): Promise<Array<{ id: number; server_name: string; host_info: string; last_sync_time: number | null }>> {
    return (await listPeers(this.options.db)).map((p) => ({
      id: Number(p.id),
      server_name: p.serverName,
      host_info: p.hostInfo,
      last_sync_time: p.lastSyncTime === null ? null : Number(p.lastSyncTime),
    }));
  }

  async sync(serverName: string, serverUrl: string): Promise<SyncResult> {
    const peer = await findPeer(this.options.db, serverName, serverUrl);
    if (!peer) throw notFound('Server not found in the registered servers list');
    const url = checkPeerUrl(peer.hostInfo);
    const now = Date.now();
    const since = peer.lastSyncTime;

    const pulled = await callPeer(
      url,
      '/api/mlmd_pull',
      { method: 'POST', json: { last_sync_time: since === null ? null : Number(since) } },
      { timeoutMs: this.timeouts.pullMs, maxBytes: this.options.maxPullBytes },
    );
    if (pulled.status !== 200)
      throw new PeerError(`Target server did not respond successfully (HTTP ${pulled.status})`);
    let doc: InterchangeDocument;
    try {
      doc = readInterchange(pulled.body.toString('utf8'), true);
    } catch (e) {
      throw peerRefused(e);
    }
    if (doc.pipelines.length === 0) return { message: 'Nothing to sync', status: 'success', last_sync_time: now };

    await this.fetchEnvFiles(url, since === null ? undefined : environmentFileNames(doc));
    const outcome = await mergeDocument(this.options.db, doc, {}).catch((e: unknown) => {
      throw peerRefused(e);
    });
    if (outcome.status === 'version_update') {
      throw new MlmdError(
        Code.FAILED_PRECONDITION,
        'version_update: the peer runs a cmflib without Execution_uuid',
        'PEER_CMFLIB_TOO_OLD',
      );
    }
    if (outcome.status === 'success' || outcome.status === 'exists')
      await setPeerSyncTime(this.options.db, peer.id, BigInt(now));
    const message =
      outcome.status === 'exists'
        ? 'Nothing to sync.'
        : since === null
          ? `Host server is syncing with the selected server '${serverName}' at address '${serverUrl}' for the first time.`
          : `Host server is being synced with the selected server '${serverName}' at address '${serverUrl}'.`;
    return { message, status: outcome.status, last_sync_time: now };
  }

  /**
   * The peer's env files (all of them on a first sync, else those the pulled executions name), stored beside ours.
   * A peer that has none, or answers with something other than a zip, costs the sync nothing: the metadata is what
   * matters, as cmf-server treats it.
   */
  private async fetchEnvFiles(url: URL, names: string[] | undefined): Promise<void> {
    if (names !== undefined && names.length === 0) return;
    try {
      const answer = await callPeer(
        url,
        '/api/download-python-env',
        { method: 'GET', query: (names ?? []).map((n) => ['list_of_files', n]) },
        { timeoutMs: this.timeouts.envMs, maxBytes: this.options.maxZipBytes },
      );
      if (answer.status !== 200 || !answer.contentType.startsWith('application/zip')) return;
      const files = readZip(answer.body, { maxEntries: 10_000, maxTotalBytes: this.options.maxZipBytes });
      await this.options.dataDir.addPythonEnvFiles(files);
    } catch (e) {
      if (e instanceof PeerError || e instanceof ZipError || e instanceof DataDirError) return;
      throw e;
    }
  }
}

/** A peer document our merge refuses is the peer's fault: 502 with the reason, not the caller's 400. */
function peerRefused(e: unknown): unknown {
  if (e instanceof MlmdError && e.code === Code.INVALID_ARGUMENT) {
    return new PeerError(`the peer's metadata was refused: ${e.message}`);
  }
  return e;
}

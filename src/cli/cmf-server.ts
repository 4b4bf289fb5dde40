/**
 * Start-up of the cmf-server API on the HTTP listener: the data directory, the peer registry table, federation and
 * the route, from the plan's settings.
 */
import * as os from 'node:os';
import type { AccessControl } from '../access/access-control';
import type { CmfApi } from '../cmf/api';
import { cmfServerViews } from '../cmf/server-views';
import { Federation } from '../cmf-server/federation';
import { CmfDataDir } from '../cmf-server/files';
import { cmfServerRoute } from '../server/cmf-rest';
import type { HttpRoute } from '../server/http';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../server/server';
import type { Database } from '../storage/database';
import { ensurePeerTable } from '../storage/peer-servers';
import type { ServerPlan } from './config';

/** A JS string holds at most ~512 MiB: the push limit when the gRPC limit is "unlimited" (-1). */
const MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;

/** Every address this host answers on (a peer URL naming one of them with our port is ourselves). */
function ownHosts(bindHost: string): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0', '::', os.hostname().toLowerCase(), bindHost]);
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) hosts.add(a.address.toLowerCase());
  return [...hosts];
}

export interface CmfServerHttp {
  route: HttpRoute;
  /** Tells federation the listener's bound port (for --http_port=0). */
  setHttpPort(port: number): void;
}

export async function startCmfServerHttp(
  db: Database,
  cmf: CmfApi,
  plan: ServerPlan,
  onError: (error: unknown) => void,
  access?: AccessControl,
): Promise<CmfServerHttp> {
  const dataDir = await CmfDataDir.open(plan.cmfServer.dataDir);
  // A read-only store serves the API's reads; registering peers then fails like any write.
  if (!(plan.backend.kind === 'sqlite' && plan.backend.readonly)) await ensurePeerTable(db);
  let httpPort = plan.httpPort ?? 0;
  const maxPushBytes =
    plan.maxMessageBytes === undefined
      ? DEFAULT_MAX_MESSAGE_BYTES
      : plan.maxMessageBytes < 0
        ? MAX_DOCUMENT_BYTES
        : Math.min(plan.maxMessageBytes, MAX_DOCUMENT_BYTES);
  const federation = new Federation({
    db,
    dataDir,
    maxPullBytes: maxPushBytes,
    maxZipBytes: plan.cmfServer.maxUploadBytes,
    ownHosts: ownHosts(plan.host),
    ownPort: () => httpPort,
  });
  const route = cmfServerRoute({
    cmf,
    views: cmfServerViews(db),
    dataDir,
    federation,
    maxPushBytes,
    maxUploadBytes: plan.cmfServer.maxUploadBytes,
    onError,
    access,
  });
  return { route, setHttpPort: (port) => (httpPort = port) };
}

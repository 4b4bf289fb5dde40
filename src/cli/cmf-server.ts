/**
 * Start-up of the cmf-server API on the HTTP listener: the data directory, the peer registry table, federation and
 * the route, from the plan's settings.
 */
import * as os from 'node:os';
import type { CmfApi } from '../cmf/api';
import { cmfServerViews } from '../cmf/server-views';
import { Federation } from '../cmf-server/federation';
import { CmfDataDir } from '../cmf-server/files';
import { cmfServerRoute } from '../server/cmf-rest';
import { CMF_SERVICE_NAME } from '../server/cmf-service';
import { DEFAULT_MAX_MESSAGE_BYTES, type ServiceRoute } from '../server/server';
import { methodTable } from '../server/services';
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
  /** Built over the hosted services: push and pull call cmf.v1.CmfService's (observed) methods. */
  route: ServiceRoute;
  /** Tells federation the listener's bound port (for --http_port=0). */
  setHttpPort(port: number): void;
}

export async function startCmfServerHttp(
  db: Database,
  plan: ServerPlan,
  onError: (error: unknown) => void,
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
  const route: ServiceRoute = (services) => {
    const cmfService = services.find((s) => s.name === CMF_SERVICE_NAME);
    if (!cmfService) throw new Error(`the cmf-server API needs ${CMF_SERVICE_NAME} among the hosted services`);
    return cmfServerRoute({
      cmf: methodTable<CmfApi>(cmfService),
      views: cmfServerViews(db),
      dataDir,
      federation,
      maxPushBytes,
      maxUploadBytes: plan.cmfServer.maxUploadBytes,
      onError,
    });
  };
  return { route, setHttpPort: (port) => (httpPort = port) };
}

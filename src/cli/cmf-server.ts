/**
 * Start-up of the cmf-server API on the HTTP listener, from the plan's settings: per store (each tenant's) the data
 * directory, the peer registry table and federation; and the one route that serves them all.
 */
import * as os from 'node:os';
import type { AccessControl } from '../access/access-control';
import type { CmfApi } from '../cmf/api';
import { cmfServerViews } from '../cmf/server-views';
import { Federation } from '../cmf-server/federation';
import { CmfDataDir } from '../cmf-server/files';
import { cmfServerRoute, type CmfServerParts } from '../server/cmf-rest';
import { CMF_SERVICE_NAME } from '../server/cmf-service';
import { DEFAULT_MAX_MESSAGE_BYTES, type ServiceRoute } from '../server/server';
import { methodTable, type ApiScope } from '../server/services';
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
  /** The API's parts for one store (a tenant's), with its own data directory and peer registry. */
  partsFor(db: Database, dataDir: string): Promise<CmfServerParts>;
  /**
   * The route, built over the hosted services: push and pull call cmf.v1.CmfService's (observed, guarded) methods,
   * the other endpoints the parts of the store each request reaches.
   */
  route(parts: ApiScope<CmfServerParts>): ServiceRoute;
  /** Tells federation the listener's bound port (for --http_port=0). */
  setHttpPort(port: number): void;
}

export function cmfServerHttp(
  plan: ServerPlan,
  onError: (error: unknown) => void,
  access?: AccessControl,
): CmfServerHttp {
  let httpPort = plan.httpPort ?? 0;
  const maxPushBytes =
    plan.maxMessageBytes === undefined
      ? DEFAULT_MAX_MESSAGE_BYTES
      : plan.maxMessageBytes < 0
        ? MAX_DOCUMENT_BYTES
        : Math.min(plan.maxMessageBytes, MAX_DOCUMENT_BYTES);
  const hosts = ownHosts(plan.host);
  return {
    async partsFor(db, dir) {
      const dataDir = await CmfDataDir.open(dir);
      // A read-only store serves the API's reads; registering peers then fails like any write.
      if (!(plan.backend.kind === 'sqlite' && plan.backend.readonly)) await ensurePeerTable(db);
      const federation = new Federation({
        db,
        dataDir,
        maxPullBytes: maxPushBytes,
        maxZipBytes: plan.cmfServer.maxUploadBytes,
        ownHosts: hosts,
        ownPort: () => httpPort,
      });
      return { views: cmfServerViews(db), dataDir, federation };
    },
    route: (parts) => (services) => {
      const cmfService = services.find((s) => s.name === CMF_SERVICE_NAME);
      if (!cmfService) throw new Error(`the cmf-server API needs ${CMF_SERVICE_NAME} among the hosted services`);
      const cmf = methodTable<CmfApi>(cmfService);
      return cmfServerRoute({
        parts,
        cmf,
        maxPushBytes,
        maxUploadBytes: plan.cmfServer.maxUploadBytes,
        onError,
        access,
      });
    },
    setHttpPort: (port) => (httpPort = port),
  };
}

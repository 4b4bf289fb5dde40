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
import type { HttpRoute } from '../server/http';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../server/server';
import type { ApiScope } from '../server/services';
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
  partsFor(db: Database, cmf: CmfApi, dataDir: string): Promise<CmfServerParts>;
  /** The route, serving each request from the parts of the store it reaches. */
  route(parts: ApiScope<CmfServerParts>): HttpRoute;
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
    async partsFor(db, cmf, dir) {
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
      return { cmf, views: cmfServerViews(db), dataDir, federation };
    },
    route: (parts) =>
      cmfServerRoute({ parts, maxPushBytes, maxUploadBytes: plan.cmfServer.maxUploadBytes, onError, access }),
    setHttpPort: (port) => (httpPort = port),
  };
}

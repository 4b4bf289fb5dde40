/**
 * What serves one tenant: its store, opened like the default one (created, checked, upgraded by the same start-up
 * code), the MLMD and CMF APIs built on it, and the cmf-server API's parts with a data directory of its own. The
 * server's Tenants registry (server/tenants.ts) opens these on first use and closes them.
 *
 * Layout: the default tenant is the configured store and --cmf_data_dir; tenant `t` is the store of
 * storage/tenants.ts (`<tenants dir>/t.db`, database `<dbname>_t`) and the data directory `<cmf_data_dir>/tenants/t`.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createCmfApi, type CmfApi } from '../cmf/api';
import { createLifecycleApi, type LifecycleApi } from '../lifecycle/api';
import { ensureDeletionTable } from '../lifecycle/audit';
import type { MlmdApi } from '../mlmd/api';
import { createMlmdApi } from '../mlmd/store';
import type { CmfServerParts } from '../server/cmf-rest';
import type { Database, StorageObserver } from '../storage/database';
import { DEFAULT_TENANT, tenantBackend } from '../storage/tenants';
import type { CmfServerHttp } from './cmf-server';
import type { ServerPlan } from './config';
import { openStore } from './open-store';

export interface TenantStore {
  readonly name: string;
  readonly mlmd: MlmdApi;
  readonly cmf: CmfApi;
  readonly lifecycle: LifecycleApi;
  /** Undefined without an HTTP listener. */
  readonly cmfServer?: CmfServerParts;
  close(): Promise<void>;
}

/** The cmf-server data directory of a tenant. */
export function tenantDataDir(plan: ServerPlan, tenant: string): string {
  const root = plan.cmfServer.dataDir;
  return tenant === DEFAULT_TENANT ? root : path.join(root, 'tenants', tenant);
}

/** Builds what serves `db` as tenant `name`; `close` releases the store (and whatever was opened with it). */
export async function serveStore(
  plan: ServerPlan,
  cmfHttp: CmfServerHttp | undefined,
  name: string,
  db: Database,
  close: () => Promise<void>,
): Promise<TenantStore> {
  // The deletion audit trail, a table of ours (a read-only store cannot delete, so it needs none).
  if (!(plan.backend.kind === 'sqlite' && plan.backend.readonly)) await ensureDeletionTable(db);
  const cmfServer = cmfHttp && (await cmfHttp.partsFor(db, tenantDataDir(plan, name)));
  return { name, mlmd: createMlmdApi(db), cmf: createCmfApi(db), lifecycle: createLifecycleApi(db), cmfServer, close };
}

/** Opens the store of a tenant other than the default one and what serves it. */
export async function openTenantStore(
  plan: ServerPlan,
  cmfHttp: CmfServerHttp | undefined,
  name: string,
  observer?: StorageObserver,
): Promise<TenantStore> {
  const backend = tenantBackend(plan.backend, name, plan.tenants!.sqliteDir);
  if (backend.kind === 'sqlite' && !backend.mustExist) await fs.mkdir(plan.tenants!.sqliteDir, { recursive: true });
  const db = await openStore(backend, plan.migration, plan.connectionRetries, observer);
  try {
    return await serveStore(plan, cmfHttp, name, db, () => db.close());
  } catch (e) {
    await db.close();
    throw e;
  }
}

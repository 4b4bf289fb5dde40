/** cmf_mlmd.v1.LifecycleService hosted next to MetadataStoreService: each method bound to the lifecycle domain. */
import { LifecycleServiceService } from '../../generated/cmf_mlmd/v1/lifecycle';
import type { LifecycleApi } from '../lifecycle/api';
import { bindService, type ApiScope, type ServiceRegistration } from './services';

export const LIFECYCLE_SERVICE_NAME = 'cmf_mlmd.v1.LifecycleService';

/** Bound to the lifecycle domain (of the call's tenant, given a scope). */
export function lifecycleServiceRegistration(api: LifecycleApi | ApiScope<LifecycleApi>): ServiceRegistration {
  return bindService(LIFECYCLE_SERVICE_NAME, LifecycleServiceService, api);
}

/** cmf_mlmd.v1.LifecycleService hosted next to MetadataStoreService: each method bound to the lifecycle domain. */
import { LifecycleServiceService } from '../../generated/cmf_mlmd/v1/lifecycle';
import type { LifecycleApi } from '../lifecycle/api';
import { bindService, type ServiceRegistration } from './services';

export const LIFECYCLE_SERVICE_NAME = 'cmf_mlmd.v1.LifecycleService';

export function lifecycleServiceRegistration(api: LifecycleApi): ServiceRegistration {
  return bindService(LIFECYCLE_SERVICE_NAME, LifecycleServiceService, api);
}

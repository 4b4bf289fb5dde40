/** cmf.v1.CmfService hosted next to MetadataStoreService: every method bound to the CMF domain function of its name. */
import { CmfServiceService } from '../../generated/cmf/v1/cmf_service';
import type { CmfApi } from '../cmf/api';
import { bindService, type ApiScope, type ServiceRegistration } from './services';

export const CMF_SERVICE_NAME = 'cmf.v1.CmfService';

export function cmfServiceRegistration(api: CmfApi | ApiScope<CmfApi>): ServiceRegistration {
  return bindService(CMF_SERVICE_NAME, CmfServiceService, api);
}

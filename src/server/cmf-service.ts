/** cmf.v1.CmfService hosted next to MetadataStoreService: every method bound to the CMF domain function of its name. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { CmfServiceService } from '../../generated/cmf/v1/cmf_service';
import type { CmfApi, CmfRpcName } from '../cmf/api';
import { strictRequests, unaryHandler, type ServiceRegistration } from './services';

export const CMF_SERVICE_NAME = 'cmf.v1.CmfService';

export function cmfServiceRegistration(api: CmfApi): ServiceRegistration {
  const implementation: UntypedServiceImplementation = {};
  for (const name of Object.keys(CmfServiceService) as CmfRpcName[]) {
    const method = api[name] as (request: unknown) => Promise<unknown>;
    implementation[name] = unaryHandler((request: unknown) => method.call(api, request));
  }
  return { name: CMF_SERVICE_NAME, definition: strictRequests(CmfServiceService), implementation };
}

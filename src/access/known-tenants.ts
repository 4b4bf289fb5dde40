/**
 * The tenants that exist, for checking a policy: a policy naming any other tenant is refused at start-up and on
 * reload. Until tenants are built there is one store, `default`; the tenant registry replaces this list.
 */
export const DEFAULT_TENANT = 'default';

export function knownTenants(): readonly string[] {
  return [DEFAULT_TENANT];
}

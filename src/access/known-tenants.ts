/**
 * The tenant a request reaches when it names none and the policy gives its principal no default. The tenants that
 * exist (which a policy may name) are the server's configuration: `knownTenants` in src/cli/config.ts.
 */
export { DEFAULT_TENANT } from '../storage/tenants';

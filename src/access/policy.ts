/**
 * The access policy: who holds which role in which tenant. It is a JSON file (--access_policy_file) because JSON
 * needs no parser beyond the runtime's, has one reading of every value (YAML reads `no` as false and `010` as 8),
 * and every tool that writes Kubernetes ConfigMaps or Helm values can emit it:
 *
 *   {
 *     "tenants": {
 *       "default": {
 *         "principals": { "alice": "admin", "cmf-ci": "writer", "*": "reader" },
 *         "groups": { "ml-team": "writer" }
 *       }
 *     },
 *     "default_tenants": { "alice": "default" }
 *   }
 *
 * A principal's role in a tenant is the highest of its own entry, the `*` entry (any authenticated principal) and
 * the entries of its groups. A request that names no tenant goes to the principal's entry in `default_tenants`,
 * else to the only tenant it holds a role in, else to `default`.
 */
import { DEFAULT_TENANT } from './known-tenants';
import { higherRole, isRole, ROLES, type Role } from './roles';
import type { Principal } from './principal';

/** Any authenticated principal. */
export const ANY_PRINCIPAL = '*';

interface TenantGrants {
  principals: ReadonlyMap<string, Role>;
  groups: ReadonlyMap<string, Role>;
}

/** A file that is not a policy, naming what is wrong. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

export class Policy {
  private constructor(
    private readonly tenants: ReadonlyMap<string, TenantGrants>,
    private readonly defaults: ReadonlyMap<string, string>,
  ) {}

  /** The tenants the policy names. */
  tenantNames(): string[] {
    return [...this.tenants.keys()];
  }

  /** The principal's role in `tenant`, or undefined (also for a tenant the policy does not name). */
  roleOf(principal: Principal, tenant: string): Role | undefined {
    const grants = this.tenants.get(tenant);
    if (grants === undefined) return undefined;
    let role = higherRole(grants.principals.get(principal.name), grants.principals.get(ANY_PRINCIPAL));
    for (const g of principal.groups) role = higherRole(role, grants.groups.get(g));
    return role;
  }

  /** Where a request that names no tenant goes. */
  defaultTenantOf(principal: Principal): string {
    const named = this.defaults.get(principal.name);
    if (named !== undefined) return named;
    const held = [...this.tenants.keys()].filter((t) => this.roleOf(principal, t) !== undefined);
    return held.length === 1 ? held[0] : DEFAULT_TENANT;
  }

  /**
   * Parses and checks a policy document. `knownTenants` are the tenants that exist: naming any other is an error
   * (a typo would otherwise grant nothing, silently).
   */
  static parse(text: string, knownTenants: readonly string[]): Policy {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new PolicyError(`not valid JSON: ${(e as Error).message}`);
    }
    const root = object(doc, 'the policy');
    allowOnly(root, ['tenants', 'default_tenants'], 'the policy');
    const known = new Set(knownTenants);
    const mustExist = (tenant: string, where: string): void => {
      if (!known.has(tenant)) {
        throw new PolicyError(`${where} names the unknown tenant "${tenant}" (known: ${[...known].join(', ')})`);
      }
    };
    const tenants = new Map<string, TenantGrants>();
    for (const [tenant, value] of Object.entries(object(root.tenants ?? {}, 'tenants'))) {
      mustExist(tenant, 'tenants');
      const where = `tenants.${tenant}`;
      const t = object(value, where);
      allowOnly(t, ['principals', 'groups'], where);
      tenants.set(tenant, {
        principals: roleMap(t.principals, `${where}.principals`),
        groups: roleMap(t.groups, `${where}.groups`),
      });
    }
    const defaults = new Map<string, string>();
    for (const [principal, tenant] of Object.entries(object(root.default_tenants ?? {}, 'default_tenants'))) {
      if (typeof tenant !== 'string') throw new PolicyError(`default_tenants.${principal} must be a tenant name`);
      mustExist(tenant, `default_tenants.${principal}`);
      defaults.set(principal, tenant);
    }
    return new Policy(tenants, defaults);
  }
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PolicyError(`${where} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function allowOnly(o: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new PolicyError(`${where} has an unknown field "${k}" (allowed: ${keys.join(', ')})`);
  }
}

function roleMap(value: unknown, where: string): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const [name, role] of Object.entries(object(value ?? {}, where))) {
    if (!isRole(role))
      throw new PolicyError(`${where}.${name} must be one of ${ROLES.join(', ')}; got ${JSON.stringify(role)}`);
    if (name === '') throw new PolicyError(`${where} has an empty name`);
    map.set(name, role);
  }
  return map;
}

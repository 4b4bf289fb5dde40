/**
 * Where a tenant's store lives, derived from the default store's settings: a tenant is a store of its own, never a
 * column, so the domains (which only ever get a `Database`) cannot see across tenants.
 *
 *   SQLite      <tenants dir>/<tenant>.db
 *   PostgreSQL  database <dbname>_<tenant>   (same server, user and TLS settings)
 *   MySQL       database <database>_<tenant> (same server, user and TLS settings)
 *
 * A database rather than a PostgreSQL schema: ml-metadata's PostgreSQLDatabaseConfig names a database and no schema,
 * so only a database of its own is a store the `ml-metadata` package can open alone (and PostgreSQL's advisory
 * locks, like the MySQL lock names, are per database, so tenants never wait on each other's locks).
 *
 * Tenant names are DNS labels (a Kubernetes namespace or Kubeflow profile name fits): lower-case letters, digits and
 * `-`, starting and ending with a letter or digit. No `.`, `/` or `_`, so a name is a file name without traversal,
 * and `-` -> `_` maps it one-to-one onto a plain SQL identifier (still quoted where it is used).
 */
import * as path from 'node:path';
import { invalidArgument } from '../errors';
import type { BackendConfig } from './open';

/** The store a request without a tenant reaches: the one the server was configured with. */
export const DEFAULT_TENANT = 'default';

export const MAX_TENANT_NAME = 40;
const TENANT_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** PostgreSQL truncates identifiers past 63 bytes and MySQL refuses database names past 64: refuse instead. */
const MAX_DATABASE_NAME = 63;

/** Why `name` is not a tenant name, or undefined when it is one. */
export function tenantNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a tenant name must not be empty';
  if (name.length > MAX_TENANT_NAME) return `a tenant name has at most ${MAX_TENANT_NAME} characters`;
  if (!TENANT_NAME.test(name))
    return 'a tenant name has lower-case letters, digits and "-", and starts and ends with a letter or digit';
  return undefined;
}

/** `name` when it is a valid tenant name; INVALID_ARGUMENT naming `where` otherwise. */
export function checkTenantName(name: string, where: string): string {
  const problem = tenantNameProblem(name);
  if (problem) throw invalidArgument(`${where}: ${JSON.stringify(name.slice(0, 80))} is not a tenant name: ${problem}`);
  return name;
}

/** The database name of a tenant on a shared backend: `<base>_<tenant>`, `-` as `_`. */
export function tenantDatabaseName(base: string, tenant: string): string {
  const name = `${base}_${tenant.replace(/-/g, '_')}`;
  if (Buffer.byteLength(name) > MAX_DATABASE_NAME) {
    throw invalidArgument(`the database of tenant ${tenant} (${name}) would be longer than ${MAX_DATABASE_NAME} bytes`);
  }
  return name;
}

/** The SQLite file of a tenant. */
export function tenantSqliteFile(dir: string, tenant: string): string {
  return path.join(dir, `${tenant}.db`);
}

/**
 * The backend of tenant `tenant`, given the default store's (`base`). The default tenant is `base` itself.
 * `sqliteDir` is where tenants' SQLite files go.
 */
export function tenantBackend<B extends BackendConfig>(base: B, tenant: string, sqliteDir: string): B {
  checkTenantName(tenant, 'tenant');
  if (tenant === DEFAULT_TENANT) return base;
  switch (base.kind) {
    case 'sqlite':
      if (base.filenameUri === ':memory:' || base.filenameUri === '' || base.filenameUri.startsWith('file:')) {
        throw invalidArgument('tenants need the default store to be a SQLite file path (not in-memory, not a URI)');
      }
      return { ...base, filenameUri: tenantSqliteFile(sqliteDir, tenant) };
    case 'postgresql':
      return { ...base, config: { ...base.config, dbname: tenantDatabaseName(base.config.dbname ?? '', tenant) } };
    case 'mysql':
      return {
        ...base,
        config: { ...base.config, database: tenantDatabaseName(base.config.database ?? '', tenant) },
      };
    default: {
      const unknown: never = base;
      throw new Error(`unknown backend ${String((unknown as { kind: string }).kind)}`);
    }
  }
}

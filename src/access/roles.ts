/**
 * What a method may need and what a role grants. Every method of every protocol has exactly one class
 * (method-classes.ts for gRPC and gRPC-Web, the cmf-server route table for REST); a role is a set of classes.
 */

/** `open`: no identity needed (health probes); the others need a role in the request's tenant. */
export const ACCESS_CLASSES = ['open', 'read', 'write', 'admin'] as const;
export type AccessClass = (typeof ACCESS_CLASSES)[number];

/** Each role implies the ones before it: a writer reads, an admin writes. */
export const ROLES = ['reader', 'writer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The least role a class needs (`open` needs none). */
const NEEDED: Record<Exclude<AccessClass, 'open'>, Role> = { read: 'reader', write: 'writer', admin: 'admin' };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` (undefined: none) may run a method of class `cls`. */
export function roleAllows(role: Role | undefined, cls: AccessClass): boolean {
  if (cls === 'open') return true;
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(NEEDED[cls]);
}

/** Whether a call allowed for class `granted` may also run a method of class `cls` (the classes are ordered). */
export function classCovers(granted: AccessClass, cls: AccessClass): boolean {
  return ACCESS_CLASSES.indexOf(granted) >= ACCESS_CLASSES.indexOf(cls);
}

/** The higher of two roles. */
export function higherRole(a: Role | undefined, b: Role | undefined): Role | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return ROLES.indexOf(a) >= ROLES.indexOf(b) ? a : b;
}

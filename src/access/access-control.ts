/**
 * The one decision point: every protocol (gRPC, gRPC-Web, the cmf-server REST API, reflection) asks `check` before
 * a method runs, with the method's class and what the request carries. It authenticates (identities), picks the
 * tenant (the one the request names, else the principal's default), and compares the principal's role there with
 * the class. Refusals and writes are audited here, one JSON line each, with no secret and no request body.
 *
 * The answers never tell whether a tenant exists: an unknown tenant and a tenant the principal holds no role in
 * get the same PERMISSION_DENIED. The policy is swapped whole on reload (SIGHUP), so a call sees either the old or
 * the new policy, never a mix.
 */
import { Code, MlmdError } from '../errors';
import type { Logger } from '../logger';
import { authenticate, type Identities } from './authenticate';
import { FailureLimiter } from './failure-limiter';
import { DEFAULT_TENANT } from './known-tenants';
import type { Policy } from './policy';
import type { Principal, RequestCredentials } from './principal';
import { PermissionDenied, TooManyFailures, Unauthenticated } from './refusal';
import { roleAllows, type AccessClass, type Role } from './roles';

export interface AccessRequest {
  /** The method as its protocol names it: `/ml_metadata.MetadataStoreService/PutArtifacts`, `POST /api/mlmd_push`. */
  method: string;
  cls: AccessClass;
  credentials: RequestCredentials;
  /** The tenant the request names (header, path prefix); undefined: the principal's default tenant. */
  tenant?: string;
  /** `grpc`, `grpc-web`, `http`, for the audit line. */
  protocol: string;
}

/** What the method runs with once allowed. */
export interface Grant {
  /** Undefined for an `open` method, which needs nobody. */
  principal?: Principal;
  /** The tenant the call is for. */
  tenant: string;
  role?: Role;
}

const VERB: Record<AccessClass, string> = { open: 'call', read: 'read', write: 'write', admin: 'administer' };

export class AccessControl {
  private policy: Policy;
  private readonly limiter: FailureLimiter;

  constructor(
    private readonly identities: Identities,
    policy: Policy,
    private readonly audit: Logger,
    limiter?: FailureLimiter,
  ) {
    this.policy = policy;
    this.limiter = limiter ?? new FailureLimiter();
  }

  /** Replaces the policy for every call that starts from now on. */
  setPolicy(policy: Policy): void {
    this.policy = policy;
  }

  /** The `WWW-Authenticate` challenge of an HTTP 401. */
  challenge(): string {
    const realm = 'realm="cmf-mlmd"';
    return this.identities.apiTokens ? `Bearer ${realm}, Basic ${realm}` : `Bearer ${realm}`;
  }

  /** The grant for a request; throws Unauthenticated, PermissionDenied or TooManyFailures (each audited). */
  async check(request: AccessRequest): Promise<Grant> {
    if (request.cls === 'open') return { tenant: request.tenant ?? DEFAULT_TENANT };
    const peer = request.credentials.remoteAddress;
    if (!this.limiter.allows(peer)) {
      const refusal = new TooManyFailures(
        `too many failed authentications from this address; retry in ${this.limiter.retryAfterSeconds(peer!)} s`,
      );
      this.record(request, undefined, request.tenant, refusal.code, 'rate limited');
      throw refusal;
    }
    let principal: Principal;
    try {
      principal = await authenticate(this.identities, request.credentials);
    } catch (e) {
      if (e instanceof Unauthenticated) {
        this.limiter.failed(peer);
        this.record(request, undefined, request.tenant, e.code, e.auditReason);
      } else {
        // The identity provider could not be reached: refused too, but not the caller's failure.
        this.record(
          request,
          undefined,
          request.tenant,
          e instanceof MlmdError ? e.code : Code.INTERNAL,
          (e as Error).message,
        );
      }
      throw e;
    }
    const policy = this.policy;
    const tenant = request.tenant ?? policy.defaultTenantOf(principal);
    const role = policy.roleOf(principal, tenant);
    if (!roleAllows(role, request.cls)) {
      const refusal = new PermissionDenied(
        `${principal.name} may not ${VERB[request.cls]} in tenant "${tenant}" (${request.method})`,
      );
      this.record(request, principal, tenant, refusal.code, role ? `role ${role}` : 'no role');
      throw refusal;
    }
    return { principal, tenant, role };
  }

  /** The audit line of a write that ran (with its outcome). */
  written(request: AccessRequest, grant: Grant, code: number): void {
    this.record(request, grant.principal, grant.tenant, code);
  }

  private record(
    request: AccessRequest,
    principal: Principal | undefined,
    tenant: string | undefined,
    code: number,
    reason?: string,
  ): void {
    this.audit.info(
      {
        audit: request.cls,
        principal: principal?.name,
        identity: principal?.source,
        tenant,
        method: request.method,
        code: codeName(code),
        protocol: request.protocol,
        peer: request.credentials.remoteAddress,
        reason,
      },
      `${principal?.name ?? '(unauthenticated)'} ${request.method} ${codeName(code)}`,
    );
  }
}

/** A status code by name (`OK` is no error code, so it is not in the enum). */
const codeName = (code: number): string => (code === 0 ? 'OK' : (Code[code] ?? String(code)));

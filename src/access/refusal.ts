/**
 * The two answers of the access check. Both are MlmdErrors, so the one status mapping (server/status.ts, and
 * http-status.ts for REST: 401 and 403) answers them on every protocol.
 */
import { Code, MlmdError } from '../errors';

/** No credentials, or credentials that prove nothing: UNAUTHENTICATED (HTTP 401 with a challenge). */
export class Unauthenticated extends MlmdError {
  constructor(
    message: string,
    /** Why, for the audit line only (never sent: it could help a guesser). */
    readonly auditReason: string = message,
  ) {
    super(Code.UNAUTHENTICATED, message);
    this.name = 'Unauthenticated';
  }
}

/** A known principal without the role in the tenant (or a tenant that does not exist: the same answer). */
export class PermissionDenied extends MlmdError {
  constructor(message: string) {
    super(Code.PERMISSION_DENIED, message);
    this.name = 'PermissionDenied';
  }
}

/** An identity provider that cannot be reached: the caller may retry (UNAVAILABLE), it is not the caller's fault. */
export class IdentityProviderUnavailable extends MlmdError {
  constructor(message: string) {
    super(Code.UNAVAILABLE, message);
    this.name = 'IdentityProviderUnavailable';
  }
}

/** Too many failed authentications from one address (RESOURCE_EXHAUSTED, HTTP 429). */
export class TooManyFailures extends MlmdError {
  constructor(message: string) {
    super(Code.RESOURCE_EXHAUSTED, message);
    this.name = 'TooManyFailures';
  }
}

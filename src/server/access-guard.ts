/**
 * The access check around every method, whatever carries it: `guardService` wraps a registration's protocol-free
 * methods once (so gRPC and gRPC-Web are guarded by the same code, as observe.ts observes them), `guardedCall`
 * runs one call of any protocol (the cmf-server REST routes use it directly) and `guardStream` refuses a
 * streaming call (reflection) before its handler sees it. All three ask the one AccessControl; a method whose
 * class is unknown cannot be guarded, so building the guard fails rather than serving it open.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AccessControl, AccessRequest } from '../access/access-control';
import { methodClass } from '../access/method-classes';
import { classCovers, type AccessClass } from '../access/roles';
import { grpcCredentials } from './request-credentials';
import { grpcImplementation, type CallContext, type ServiceRegistration, type UnaryMethod } from './services';
import { toGrpcStatus, toServiceError } from './status';

/** No credentials at all (a caller that built no context): the check answers UNAUTHENTICATED. */
const NO_CREDENTIALS = { header: () => undefined, remoteAddress: undefined, peerCertificate: () => undefined };

/** The class of a gRPC method, or an error naming the method nobody classified. */
export function classOf(path: string): AccessClass {
  const cls = methodClass(path);
  if (cls === undefined) throw new Error(`${path} has no access class: add it to src/access/method-classes.ts`);
  return cls;
}

/**
 * Runs `run` if the access check allows it, with the context the method should see (the tenant decided, the
 * principal). A write is audited with its outcome.
 */
export async function guardedCall<T>(
  access: AccessControl,
  method: string,
  cls: AccessClass,
  context: CallContext | undefined,
  run: (allowed: CallContext) => Promise<T>,
): Promise<T> {
  if (context?.granted !== undefined && classCovers(context.granted, cls)) return run(context);
  const request: AccessRequest = {
    method,
    cls,
    credentials: context?.credentials ?? NO_CREDENTIALS,
    tenant: context?.tenant,
    protocol: context?.protocol ?? 'unknown',
  };
  const grant = await access.check(request);
  const allowed: CallContext = {
    protocol: request.protocol,
    get peer() {
      return context?.peer;
    },
    credentials: request.credentials,
    tenant: grant.tenant,
    principal: grant.principal,
    granted: cls,
  };
  if (cls === 'read' || cls === 'open') return run(allowed);
  try {
    const result = await run(allowed);
    access.written(request, grant, 0);
    return result;
  } catch (error) {
    access.written(request, grant, toGrpcStatus(error).code);
    throw error;
  }
}

/** The registration with every method guarded (the grpc-js handlers call the guarded methods). */
export function guardService(registration: ServiceRegistration, access: AccessControl): ServiceRegistration {
  const methods = registration.methods.map((method): UnaryMethod => {
    const cls = classOf(method.path);
    return {
      ...method,
      call: (request, context) =>
        guardedCall(access, method.path, cls, context, (allowed) => method.call(request, allowed)),
    };
  });
  return { ...registration, methods, implementation: grpcImplementation(registration.definition, methods) };
}

/**
 * A guard for a bidirectional streaming handler registered straight with grpc-js (reflection): the handler starts
 * only once the call is allowed; a refused call ends with the refusal's status.
 */
export function guardStream(
  access: AccessControl,
  path: string,
  handler: (stream: ServerDuplexStream<unknown, unknown>) => void,
): (stream: ServerDuplexStream<unknown, unknown>) => void {
  const cls = classOf(path);
  return (stream) => {
    const context: CallContext = { protocol: 'grpc', peer: stream.getPeer(), credentials: grpcCredentials(stream) };
    guardedCall(access, path, cls, context, async () => handler(stream)).catch((error: unknown) =>
      stream.emit('error', toServiceError(error)),
    );
  };
}

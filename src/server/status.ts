/**
 * The one place where a failure becomes a gRPC status. Domain and storage code throw MlmdError (whose codes are the
 * gRPC status numbers, so no table is needed); anything else is a bug or a backend surprise and is reported as
 * INTERNAL with its message, the way MLMD passes absl statuses through unchanged.
 */
import { status as GrpcStatus, ServerInterceptingCall, type ServerInterceptor, type ServiceError } from '@grpc/grpc-js';
import { MlmdError } from '../errors';
import { logger } from '../logger';

export interface StatusObject {
  code: GrpcStatus;
  details: string;
}

/**
 * The status message travels in an HTTP/2 trailer, and clients refuse (grpc-js: hang up on) trailers beyond a few
 * KiB. Domain messages can echo request values of any size (e.g. a 5 MB external id), so long ones are cut.
 */
export const MAX_DETAILS_CHARS = 2000;

function clip(message: string): string {
  return message.length <= MAX_DETAILS_CHARS ? message : `${message.slice(0, MAX_DETAILS_CHARS)}... (truncated)`;
}

/**
 * The same cut for every status grpc-js sends, whatever service produced it: the health library's NOT_FOUND echoes
 * the requested service name (a 1 MB name left the caller without any status: found by the fuzz suite).
 */
export const clipStatusDetails: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    sendStatus: (status, next) =>
      next(status.details === undefined ? status : { ...status, details: clip(status.details) }),
  });

/** Messages of unexpected errors already logged, so a failure that repeats on every call logs once. */
const logged = new Set<string>();

export function toGrpcStatus(error: unknown): StatusObject {
  if (error instanceof MlmdError) return { code: error.code as number as GrpcStatus, details: clip(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  // UniqueViolation lands here on purpose: where MLMD maps it to ALREADY_EXISTS the domain has already done so;
  // one reaching this point is an internal inconsistency. Any other Error is unexpected and deserves a stack trace.
  const key = error instanceof Error ? `${error.name}: ${message}` : message;
  if (!logged.has(key)) {
    // Bounded: messages can carry user input, so an endless variety must not grow memory for ever.
    if (logged.size >= 1000) logged.clear();
    logged.add(key);
    const detail = error instanceof Error && error.name !== 'UniqueViolation' ? (error.stack ?? key) : key;
    logger().error({ error: clip(detail) }, 'unexpected error turned into INTERNAL');
  }
  return { code: GrpcStatus.INTERNAL, details: clip(message) };
}

/** The error object grpc-js's unary callback expects. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  const { code, details } = toGrpcStatus(error);
  return { code, details, message: details };
}

/** `OK`, `NOT_FOUND`, ...: a status code as metrics and logs name it. */
export function statusName(code: number): string {
  return GrpcStatus[code] ?? String(code);
}

/**
 * The HTTP counterpart of status.ts: the one table turning a domain error's status code (MLMD's = gRPC's) into an
 * HTTP status for the REST routes, as Google's HTTP/JSON mapping (AIP-193, grpc-gateway) pairs them, beside the
 * statuses of the reasons a code alone does not decide, and of a route's own refusals (HttpError: decoding, limits).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { MlmdError, type ErrorReason } from '../errors';
import { HttpError } from './http';
import { toGrpcStatus } from './status';

const HTTP_STATUS: Record<GrpcStatus, number> = {
  [GrpcStatus.OK]: 200,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNKNOWN]: 500,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 400,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DATA_LOSS]: 500,
  [GrpcStatus.UNAUTHENTICATED]: 401,
};

const REASON_STATUS: Record<ErrorReason, number> = {
  // The peer cmf-server failed, not this server: the gateway's status, as cmf-server answers it.
  PEER_FAILED: 502,
  // cmf-server's word for a document without Execution_uuid (FastAPI's 422).
  PEER_CMFLIB_TOO_OLD: 422,
};

export function httpStatusOf(code: GrpcStatus): number {
  return HTTP_STATUS[code] ?? 500;
}

/**
 * The HTTP status and message of a domain failure. Anything that is not an MlmdError goes through toGrpcStatus
 * first (which logs it once as unexpected), so both protocols report the same failure the same way.
 */
export function toHttpStatus(error: unknown): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message };
  const { code, details } = toGrpcStatus(error);
  const reason = error instanceof MlmdError ? error.reason : undefined;
  return {
    status: reason === undefined ? httpStatusOf(code) : REASON_STATUS[reason],
    message: error instanceof MlmdError || code !== GrpcStatus.INTERNAL ? details : 'internal error',
  };
}

/** Whether a status answered for a failure says this server failed (5xx, except a failing peer's 502). */
export function isServerFault(error: unknown, status: number): boolean {
  return status >= 500 && !(error instanceof MlmdError && error.reason === 'PEER_FAILED');
}

/**
 * Errors shared by every layer. A failure an RPC can report is an MlmdError carrying one of these codes; the numbers
 * are the canonical status codes that MLMD (absl) and gRPC share, so server/ maps them without a table of its own.
 * This module imports nothing, so storage/, query/, mlmd/ and cmf/ can all raise these without depending on grpc.
 */
export enum Code {
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/**
 * What a client of the cmf-server HTTP API must be told that a code alone does not say (as google.rpc.ErrorInfo's
 * reason beside a status): a peer cmf-server failed (the gateway's failure, not ours: HTTP 502), or runs a cmflib too
 * old to merge (HTTP 422, as a push of such a document). server/http-status.ts maps them beside the codes.
 */
export type ErrorReason = 'PEER_FAILED' | 'PEER_CMFLIB_TOO_OLD';

export class MlmdError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly reason?: ErrorReason,
  ) {
    super(message);
    this.name = 'MlmdError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof MlmdError && e.code === Code.NOT_FOUND;

/** A `.catch` handler that answers `fallback` for NOT_FOUND and rethrows anything else (ABORTED, INTERNAL...). */
export const whenNotFound =
  <T>(fallback: T) =>
  (e: unknown): T => {
    if (isNotFound(e)) return fallback;
    throw e;
  };

export const invalidArgument = (message: string) => new MlmdError(Code.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new MlmdError(Code.NOT_FOUND, message);
export const alreadyExists = (message: string) => new MlmdError(Code.ALREADY_EXISTS, message);
export const resourceExhausted = (message: string) => new MlmdError(Code.RESOURCE_EXHAUSTED, message);
export const failedPrecondition = (message: string) => new MlmdError(Code.FAILED_PRECONDITION, message);
export const aborted = (message: string) => new MlmdError(Code.ABORTED, message);
export const outOfRange = (message: string) => new MlmdError(Code.OUT_OF_RANGE, message);
export const unimplemented = (message: string) => new MlmdError(Code.UNIMPLEMENTED, message);
export const internal = (message: string) => new MlmdError(Code.INTERNAL, message);
export const dataLoss = (message: string) => new MlmdError(Code.DATA_LOSS, message);

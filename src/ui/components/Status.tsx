/** What a person sees while a query runs and when it fails: a server that is down reads differently from a bad query. */
import { RpcFailure } from '../api/grpc-web-client';

const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

export const codeName = (code: number) => CODE_NAMES[code] ?? `code ${code}`;

export function Loading(props: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

export function Failure(props: { error: unknown; retry?: () => void; what?: string }) {
  const e = props.error;
  const unreachable = e instanceof RpcFailure && e.unreachable;
  return (
    <div class={`failure${unreachable ? ' unreachable' : ''}`} role="alert">
      {unreachable ? (
        <>
          <strong>The cmf-mlmd server cannot be reached.</strong> It may be stopped or restarting; the page will work
          again once it answers. <span class="detail">({(e as RpcFailure).message})</span>
        </>
      ) : e instanceof RpcFailure ? (
        <>
          <strong>
            {props.what ? `Could not load ${props.what}` : 'The query failed'}: {codeName(e.code)}
          </strong>{' '}
          <span class="detail">{e.message}</span>
        </>
      ) : (
        <>
          <strong>Something went wrong in the page:</strong>{' '}
          <span class="detail">{e instanceof Error ? e.message : String(e)}</span>
        </>
      )}
      {props.retry && (
        <button type="button" onClick={props.retry}>
          Retry
        </button>
      )}
    </div>
  );
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { Code, MlmdError } from '../../src/errors';
import { toGrpcStatus } from '../../src/server/status';
import { UniqueViolation } from '../../src/storage/database';

test('MlmdError keeps its code and message', () => {
  assert.deepEqual(toGrpcStatus(new MlmdError(Code.ALREADY_EXISTS, 'dup')), {
    code: status.ALREADY_EXISTS,
    details: 'dup',
  });
  assert.deepEqual(toGrpcStatus(new MlmdError(Code.CANCELLED, 'c')), { code: status.CANCELLED, details: 'c' });
  assert.deepEqual(toGrpcStatus(new MlmdError(Code.DATA_LOSS, 'd')), { code: status.DATA_LOSS, details: 'd' });
});

test('UniqueViolation, other errors and non-errors become INTERNAL with their message', () => {
  assert.deepEqual(toGrpcStatus(new UniqueViolation('UNIQUE constraint failed')), {
    code: status.INTERNAL,
    details: 'UNIQUE constraint failed',
  });
  assert.deepEqual(toGrpcStatus(new TypeError('boom')), { code: status.INTERNAL, details: 'boom' });
  assert.deepEqual(toGrpcStatus('odd'), { code: status.INTERNAL, details: 'odd' });
});

test('long messages are truncated so the status fits in an HTTP/2 trailer', () => {
  const { details } = toGrpcStatus(new MlmdError(Code.NOT_FOUND, `missing: ${'x'.repeat(5_000_000)}`));
  assert.ok(details.length < 2100);
  assert.match(details, /^missing: x+\.\.\. \(truncated\)$/);
});

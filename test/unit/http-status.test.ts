/** The one table from a failure to an HTTP status (server/http-status.ts), for every kind of failure a route meets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataDirError } from '../../src/cmf-server/files';
import { PeerError, PeerUrlError } from '../../src/cmf-server/peer-client';
import { Code, MlmdError, notFound } from '../../src/errors';
import { HttpError } from '../../src/server/http';
import { isServerFault, toHttpStatus } from '../../src/server/http-status';

test('domain codes map as Google pairs them; reasons and route refusals keep the statuses cmf-server answers', () => {
  const cases: Array<[unknown, number, string]> = [
    [notFound('Pipeline p not found.'), 404, 'Pipeline p not found.'],
    [new MlmdError(Code.INVALID_ARGUMENT, 'bad'), 400, 'bad'],
    [new MlmdError(Code.ABORTED, 'busy'), 409, 'busy'],
    [new DataDirError(Code.INVALID_ARGUMENT, 'not a file name'), 400, 'not a file name'],
    [new DataDirError(Code.NOT_FOUND, 'File not found'), 404, 'File not found'],
    [new PeerUrlError('server_url has no host'), 400, 'server_url has no host'],
    [new PeerError('Target server is not reachable'), 502, 'Target server is not reachable'],
    [new MlmdError(Code.FAILED_PRECONDITION, 'version_update', 'PEER_CMFLIB_TOO_OLD'), 422, 'version_update'],
    [new HttpError(413, 'the request body is over its limit'), 413, 'the request body is over its limit'],
    [new HttpError(422, 'pipeline_name must be a string'), 422, 'pipeline_name must be a string'],
    [new TypeError('boom'), 500, 'internal error'],
  ];
  for (const [error, status, message] of cases) {
    assert.deepEqual(toHttpStatus(error), { status, message }, String(error));
  }
});

test('a failing peer is not this server failing; an unexpected error or INTERNAL is', () => {
  assert.equal(isServerFault(new PeerError('down'), 502), false);
  assert.equal(isServerFault(new TypeError('boom'), 500), true);
  assert.equal(isServerFault(new MlmdError(Code.INTERNAL, 'x'), 500), true);
  assert.equal(isServerFault(notFound('x'), 404), false);
});

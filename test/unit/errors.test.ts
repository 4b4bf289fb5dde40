import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aborted, internal, isNotFound, notFound, whenNotFound } from '../../src/errors';

test('whenNotFound answers its fallback for NOT_FOUND only; ABORTED, INTERNAL and other errors propagate', async () => {
  assert.equal(isNotFound(notFound('none')), true);
  assert.equal(isNotFound(aborted('busy')), false);
  assert.deepEqual(await Promise.reject(notFound('none')).catch(whenNotFound({ contexts: [] })), { contexts: [] });
  for (const error of [aborted('busy'), internal('broken'), new TypeError('bug')]) {
    await assert.rejects(Promise.reject(error).catch(whenNotFound({ contexts: [] })), error);
  }
});

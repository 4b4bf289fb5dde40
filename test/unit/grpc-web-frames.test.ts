/**
 * The gRPC-Web wire format's pure parts (src/server/grpc-web-frames.ts) and the CORS origin list: strict base64
 * against Node's decoder, percent-encoding against decodeURIComponent (what grpc-web's runtime applies), timeouts,
 * content types and origins.
 */
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { buildServerPlan, ConfigError } from '../../src/cli/config';
import { parseFlags } from '../../src/cli/flags';
import { parseAllowedOrigins } from '../../src/server/cors';
import {
  decodeBase64Strict,
  decodeRequestBody,
  encodeResponseBody,
  grpcWebMode,
  isStatus,
  parseTimeout,
  percentEncode,
} from '../../src/server/grpc-web-frames';

describe('gRPC-Web frames', () => {
  it('strict base64 decodes what Node encodes, chunk by padded chunk', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 4 }), (chunks) => {
        const text = chunks.map((c) => Buffer.from(c).toString('base64')).join('');
        const decoded = decodeBase64Strict(Buffer.from(text, 'latin1'));
        assert.ok(!isStatus(decoded));
        assert.deepEqual(Buffer.from(decoded as Buffer), Buffer.concat(chunks.map((c) => Buffer.from(c))));
      }),
    );
  });

  it('strict base64 refuses what Node would silently skip', () => {
    for (const bad of ['AAA', 'AA AA', 'AA\nA', 'A===', '=AAA', 'AA=A', 'AAAA-___', 'AAA\u00e9']) {
      assert.ok(isStatus(decodeBase64Strict(Buffer.from(bad, 'utf8'))), bad);
    }
  });

  it('percent-encoding keeps printable ASCII and round-trips through decodeURIComponent', () => {
    assert.equal(percentEncode('No type found: `a` 100%'), 'No type found: `a` 100%25');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        const encoded = percentEncode(text);
        assert.match(encoded, /^[\x20-\x7e]*$/);
        assert.equal(decodeURIComponent(encoded), text);
      }),
    );
  });

  it('a response body is a message frame and a trailer frame; text mode is its base64', () => {
    const body = encodeResponseBody('binary', Buffer.from([1, 2]), { code: 0, details: 'OK' });
    assert.equal(
      body.toString('hex'),
      '0000000002' + '0102' + '80' + '0000000f' + Buffer.from('grpc-status:0\r\n').toString('hex'),
    );
    const failed = encodeResponseBody('text', undefined, { code: 5, details: 'not here\r\ninjected: 1' });
    const decoded = Buffer.from(failed.toString(), 'base64').subarray(5).toString('latin1');
    assert.equal(decoded, 'grpc-status:5\r\ngrpc-message:not here%0D%0Ainjected: 1\r\n');
  });

  it('a request body yields its one message', () => {
    const msg = decodeRequestBody(Buffer.from('AAAAAAIIAQ==', 'latin1'), 'text', 100, '/x/Y');
    assert.deepEqual(msg, Buffer.from([8, 1]));
  });

  it('grpc-timeout follows gRPC syntax', () => {
    assert.equal(parseTimeout(undefined), undefined);
    assert.equal(parseTimeout('2S'), 2000);
    assert.equal(parseTimeout('1500m'), 1500);
    assert.equal(parseTimeout('1H'), 3_600_000);
    assert.equal(parseTimeout('5000u'), 5);
    for (const bad of ['', 'S', '1s', '123456789S', '-1S', '1.5S', '1 S x'])
      assert.ok(isStatus(parseTimeout(bad)), bad);
  });

  it('content types: the four gRPC-Web spellings, nothing else', () => {
    assert.equal(grpcWebMode('application/grpc-web'), 'binary');
    assert.equal(grpcWebMode('application/grpc-web+proto; charset=utf-8'), 'binary');
    assert.equal(grpcWebMode('Application/GRPC-Web-Text'), 'text');
    assert.equal(grpcWebMode('application/grpc-web-text+proto'), 'text');
    for (const other of [undefined, '', 'application/grpc', 'application/grpc-web+json', 'application/grpc-webx'])
      assert.equal(grpcWebMode(other), undefined, other);
  });

  it('--cors_allowed_origins takes origins or *, and names an entry that is not one', () => {
    assert.deepEqual(parseAllowedOrigins(''), []);
    assert.deepEqual(parseAllowedOrigins('*'), ['*']);
    assert.deepEqual(parseAllowedOrigins(' https://a.example , http://localhost:3000 '), [
      'https://a.example',
      'http://localhost:3000',
    ]);
    for (const bad of [
      'a.example',
      'https://a.example/',
      'https://a.example/path',
      'ftp://a.example',
      'http://*.example',
    ])
      assert.throws(() => parseAllowedOrigins(bad), new RegExp(bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  });

  it('the server plan carries the origins, and refuses a bad one as a configuration error', () => {
    const plan = buildServerPlan(
      parseFlags(['--db=x.db', '--cors_allowed_origins=https://kfp.example,http://localhost:3000']),
    );
    assert.deepEqual(plan.corsAllowedOrigins, ['https://kfp.example', 'http://localhost:3000']);
    assert.deepEqual(buildServerPlan(parseFlags(['--db=x.db'])).corsAllowedOrigins, []);
    assert.throws(() => buildServerPlan(parseFlags(['--db=x.db', '--cors_allowed_origins=kfp.example'])), ConfigError);
  });
});

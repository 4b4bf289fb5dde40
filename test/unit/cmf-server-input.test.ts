/**
 * The cmf-server API's input readers on hostile input: Python-faithful JSON, the interchange document's checks,
 * multipart bodies, file names, peer URLs and peer zips.
 */
import * as assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { describe, it } from 'node:test';

import { readInterchange } from '../../src/cmf/interchange';
import { safeRelativePath, safeSegment } from '../../src/cmf-server/files';
import { checkPeerUrl } from '../../src/cmf-server/peer-client';
import { readZip, writeZip } from '../../src/cmf-server/zip';
import { PyFloat, pyJsonDumps, pyJsonLoads } from '../../src/python-text';
import { formBoundary, parseMultipart } from '../../src/server/multipart';
import { pipelineDocument } from '../helpers/cmf-interchange';

describe('pyJsonLoads', () => {
  it('reads JSON as Python does: exact ints, floats kept apart, NaN and Infinity, last duplicate key', () => {
    const v = pyJsonLoads(
      '{"i": 9223372036854775807, "s": 3, "f": 2.0, "e": 1e3, "n": NaN, "m": -Infinity, "d": 1, "d": 2}',
    );
    assert.deepEqual(Object.keys(v as object), ['i', 's', 'f', 'e', 'n', 'm', 'd']);
    const o = v as Record<string, unknown>;
    assert.equal(o.i, 9223372036854775807n);
    assert.equal(o.s, 3);
    assert.ok(o.f instanceof PyFloat && o.f.value === 2);
    assert.ok(o.e instanceof PyFloat && o.e.value === 1000);
    assert.ok(o.n instanceof PyFloat && Number.isNaN(o.n.value));
    assert.equal(o.d, 2);
    assert.equal(pyJsonDumps(pyJsonLoads('[1, 2.5, "\\u00e9\\n", null, true]')), '[1, 2.5, "\\u00e9\\n", null, true]');
  });

  it('refuses malformed text with an offset, deep nesting without a stack overflow, and keeps __proto__ a key', () => {
    for (const [text, message] of [
      ['{"a": 1', /expected "," or "}"|unexpected end/],
      ['[1,]', /unexpected character/],
      ['{"a": 01}', /expected "," or "}"/],
      ['"\u0001"', /control character/],
      ['"\\x"', /invalid escape/],
      ['[1] 2', /extra data/],
      ['1.', /invalid number/],
      ['['.repeat(1_000_000), /nesting deeper than 64/],
    ] as const) {
      assert.throws(() => pyJsonLoads(text), message, text.slice(0, 20));
    }
    const o = pyJsonLoads('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(o), null);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('readInterchange', () => {
  it('reads a document and names the field of every problem', () => {
    const { json } = pipelineDocument({ pipeline: 'p', executions: 2 });
    const doc = readInterchange(json);
    assert.equal(doc.pipelines[0].stages[0].executions[0].events.length, 5);
    // Each case breaks one field of the parsed document; `any` keeps those paths readable.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const bad = (mutate: (d: any) => void) => {
      const d = JSON.parse(json);
      mutate(d);
      return JSON.stringify(d);
    };
    const cases: Array<[string, RegExp]> = [
      ['[]', /the metadata JSON must be a JSON object/],
      ['{"Pipeline": {}}', /Pipeline must be a JSON array/],
      [bad((d) => (d.Pipeline[0].name = 7)), /Pipeline\[0\]\.name must be a string/],
      [bad((d) => delete d.Pipeline[0].stages), /Pipeline\[0\]\.stages must be a JSON array/],
      [
        bad((d) => (d.Pipeline[0].stages[0].executions[0].events[0].artifact.uri = [])),
        /events\[0\]\.artifact\.uri must be a string/,
      ],
      [
        bad((d) => (d.Pipeline[0].stages[0].executions[0].custom_properties.x = { y: 1 })),
        /custom_properties\["x"\] must be a string, an integer or a float/,
      ],
      [bad((d) => (d.Pipeline[0].stages[0].executions[0].custom_properties.x = null)), /custom_properties\["x"\]/],
      [
        bad((d) => (d.Pipeline[0].stages[0].executions[0].properties.Execution_uuid = 5)),
        /Execution_uuid must be a string/,
      ],
      [json.replace('"epochs":3', '"epochs":99999999999999999999'), /outside the int64 range/],
      [json.replace('"epochs":3', '"epochs":NaN'), /NaN, which cannot be stored/],
    ];
    for (const [text, message] of cases) assert.throws(() => readInterchange(text), message);
  });
});

describe('multipart', () => {
  const body = (parts: string[], boundary = 'XyZ') =>
    Buffer.from(parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`);

  it('reads python-requests-style parts, filename quoting as browsers send it', () => {
    const parts = parseMultipart(
      body([
        'Content-Disposition: form-data; name="file"; filename="cmf_artifacts/a%22b.txt"\r\n\r\nline1\r\nline2',
        'Content-Disposition: form-data; name="other"\r\n\r\nx',
      ]),
      formBoundary('multipart/form-data; boundary=XyZ'),
    );
    assert.deepEqual(
      parts.map((p) => [p.name, p.filename, p.data.toString()]),
      [
        ['file', 'cmf_artifacts/a"b.txt', 'line1\r\nline2'],
        ['other', undefined, 'x'],
      ],
    );
  });

  it('refuses bodies without a boundary, a closing delimiter or part headers', () => {
    assert.throws(() => formBoundary('application/json'), /multipart\/form-data/);
    assert.throws(() => formBoundary('multipart/form-data'), /boundary/);
    assert.throws(() => parseMultipart(Buffer.from('no boundary here'), 'XyZ'), /without its boundary/);
    assert.throws(
      () => parseMultipart(Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\ndata'), 'XyZ'),
      /closing boundary/,
    );
    assert.throws(() => parseMultipart(Buffer.from(`--XyZ\r\n${'h'.repeat(20_000)}`), 'XyZ'), /end of its headers/);
  });
});

describe('file names and peer URLs', () => {
  it('accepts plain names and relative paths, refuses traversal, absolute paths, NUL, backslashes', () => {
    assert.equal(safeSegment('python_env_abc.txt', 'f'), 'python_env_abc.txt');
    assert.deepEqual(safeRelativePath('run1/events.out', 'f'), ['run1', 'events.out']);
    for (const name of ['', '.', '..', 'a\u0000b', 'a\\b', 'x'.repeat(256), 'a/b']) {
      assert.throws(() => safeSegment(name, 'f'), /f/);
    }
    for (const p of ['/etc/passwd', '../x', 'a/../../b', 'a//b', 'a/./b', `${'d/'.repeat(40)}x`]) {
      assert.throws(() => safeRelativePath(p, 'f'), /f/);
    }
  });

  it('takes http(s) peer URLs only, without credentials, query or fragment', () => {
    assert.equal(checkPeerUrl('http://peer:8081/').href, 'http://peer:8081/');
    assert.equal(checkPeerUrl('https://peer/cmf/').pathname, '/cmf');
    for (const url of [
      'file:///etc/passwd',
      'ftp://x',
      'http://u:p@x',
      'http://x/?a=1',
      'http://x/#f',
      'peer:8080',
      'x'.repeat(3000),
    ]) {
      assert.throws(() => checkPeerUrl(url), /server_url/);
    }
  });
});

describe('zip', () => {
  it('round-trips, and refuses bombs, too many entries and corrupt data', () => {
    const zip = writeZip([
      { name: 'a.txt', data: Buffer.from('hello') },
      { name: 'b.yaml', data: Buffer.alloc(10_000, 'x') },
    ]);
    assert.deepEqual(
      readZip(zip, { maxEntries: 10, maxTotalBytes: 1e6 }).map((e) => [e.name, e.data.length]),
      [
        ['a.txt', 5],
        ['b.yaml', 10_000],
      ],
    );
    assert.throws(() => readZip(zip, { maxEntries: 1, maxTotalBytes: 1e6 }), /more than 1 entries/);
    assert.throws(() => readZip(zip, { maxEntries: 10, maxTotalBytes: 100 }), /more than 100 bytes/);
    // A bomb: 100 MB of zeros declared as 10 bytes.
    const bomb = Buffer.from(writeZip([{ name: 'z', data: Buffer.alloc(10) }]));
    const packed = zlib.deflateRawSync(Buffer.alloc(100 * 1024 * 1024));
    const local = bomb.subarray(0, 31);
    const rest = bomb.subarray(31 + zlib.deflateRawSync(Buffer.alloc(10)).length);
    const evil = Buffer.concat([local, packed, rest]);
    evil.writeUInt32LE(packed.length, 18);
    const dir = evil.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    evil.writeUInt32LE(packed.length, dir + 20);
    evil.writeUInt32LE(dir, evil.length - 22 + 16);
    assert.throws(
      () => readZip(evil, { maxEntries: 10, maxTotalBytes: 1e9 }),
      /does not unpack to its declared 10 bytes/,
    );
    assert.throws(
      () => readZip(Buffer.from('not a zip at all'), { maxEntries: 10, maxTotalBytes: 1e6 }),
      /no end of central directory/,
    );
  });
});

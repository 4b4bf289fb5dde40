/** The value and key conventions CMF's graph uses (no Neo4j needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { graphConfigFrom } from '../../src/graph/config';
import { pyFloat, pyStr, sanitizeKey } from '../../src/graph/value-text';

test("pyFloat prints Python's repr of a float", () => {
  const cases: Array<[number, string]> = [
    [0.2, '0.2'],
    [1, '1.0'],
    [20220520, '20220520.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [-2.5, '-2.5'],
    [0, '0.0'],
    [1.5e-7, '1.5e-07'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
  ];
  for (const [x, want] of cases) assert.equal(pyFloat(x), want, String(x));
  assert.equal(pyStr(7n), '7');
  assert.equal(pyStr(true), 'True');
});

test('sanitizeKey removes every non-word character (Unicode letters stay)', () => {
  assert.equal(sanitizeKey('user-metadata1'), 'usermetadata1');
  assert.equal(sanitizeKey('a.b c/d'), 'abcd');
  assert.equal(sanitizeKey('größe_x'), 'größe_x');
  assert.equal(sanitizeKey('--'), '');
});

test('configuration: off by default, NEO4J_URI or --neo4j_uri turn it on, flags win over the environment', () => {
  assert.equal(graphConfigFrom({}, {}), undefined);
  assert.equal(graphConfigFrom({}, { NEO4J_URI: '  ' }), undefined);
  const env = { NEO4J_URI: 'bolt://e:7687', NEO4J_USER_NAME: 'u', NEO4J_PASSWD: 'p' };
  const c = graphConfigFrom({}, env)!;
  assert.deepEqual([c.uri, c.user, c.password], ['bolt://e:7687', 'u', 'p']);
  const f = graphConfigFrom({ neo4j_uri: 'bolt://f:1', neo4j_user_name: 'fu' }, env)!;
  assert.deepEqual([f.uri, f.user, f.password], ['bolt://f:1', 'fu', 'p']);
});

/**
 * filter_query compiler: generated SQL. Literal values (hostile ones included) only ever travel as bound
 * parameters, so the SQL text does not depend on them and they match literally; join shape; dialect differences;
 * literal decoding.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Code, MlmdError } from '../../src/errors';
import type { MlmdApi } from '../../src/mlmd/api';
import { createMlmdApi } from '../../src/mlmd/store';
import { compileFilterQuery, type DialectName, type NodeKind } from '../../src/query';
import type { Database } from '../../src/storage/database';
import { openDatabase } from '../../src/storage/open';

const compile = (query: string, nodeKind: NodeKind = 'Artifact', dialect: DialectName = 'sqlite') =>
  compileFilterQuery(query, { nodeKind, dialect });

/** Renders a string as a ZetaSQL literal with backslash escapes. */
function literal(value: string, quote: "'" | '"' = "'"): string {
  let out = quote;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + quote;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

const HOSTILE = [
  "'",
  '"',
  "''",
  "a' OR '1'='1",
  '" OR 1=1 --',
  'x; DROP TABLE Artifact; --',
  '-- comment',
  '/* not a comment */',
  '\\',
  '\\\\',
  "\\'",
  'back\\slash\\n',
  '%',
  '_',
  'a%b_c',
  '?',
  '??',
  '$1',
  '`',
  'properties.a.int_value',
  'contexts_a.name',
  'state = LIVE',
  'ünïcödé 名前 😀',
  'tab\there',
  'line\nbreak',
  '\u0001\u007f',
  '',
  ' ',
  'NULL',
];

describe('SQL text does not depend on literal values', () => {
  const templates: Array<[string, NodeKind]> = [
    ['name = $', 'Artifact'],
    ['uri LIKE $ OR external_id != $', 'Artifact'],
    ['properties.p.string_value IN ($, $) AND custom_properties.q.string_value NOT LIKE $', 'Execution'],
    ['contexts_a.name = $ AND contexts_a.type = $', 'Execution'],
    ['artifacts_x.uri = $ OR parent_contexts_y.name BETWEEN $ AND $', 'Context'],
    ['type = $ AND name > $', 'Context'],
  ];
  for (const [template, kind] of templates) {
    test(template, () => {
      const reference = compile(template.replaceAll('$', "'x'"), kind);
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary' })), {
            minLength: 6,
            maxLength: 6,
          }),
          fc.boolean(),
          (values, dq) => {
            let i = 0;
            const query = template.replaceAll('$', () => literal(values[i++], dq ? '"' : "'"));
            const out = compile(query, kind);
            assert.equal(out.where, reference.where);
            // the bound values are the reference's, with each literal exactly as written in place of 'x' (an IN
            // list of literals is one value, a JSON array on SQLite)
            let j = 0;
            assert.deepEqual(
              out.params,
              reference.params.map((p) =>
                p === 'x' ? values[j++] : p === '["x","x"]' ? JSON.stringify([values[j++], values[j++]]) : p,
              ),
            );
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  test('property names are bound values too', () => {
    const a = compile('properties.p.int_value = 1');
    for (const name of ["it's", 'a"b', 'name', 'int_value', 'with space', 'a;--', 'ü']) {
      const q = /^[0-9A-Za-z_]+$/.test(name)
        ? `properties.${name}.int_value = 1`
        : `properties.\`${name}\`.int_value = 1`;
      const b = compile(q);
      assert.equal(b.where, a.where);
      assert.deepEqual(b.params, [name, 1n]);
    }
  });

  test('integers and doubles are bound', () => {
    const a = compile('id = 1 AND properties.p.double_value > 0.5');
    const b = compile('id = 9223372036854775807 AND properties.p.double_value > -1e300');
    assert.equal(a.where, b.where);
    assert.deepEqual(b.params, [9223372036854775807n, 'p', -1e300]);
    assert.deepEqual(compile('id = -9223372036854775808').params, [-9223372036854775808n]);
    assert.deepEqual(compile('id = 0x7FFFFFFFFFFFFFFF').params, [9223372036854775807n]);
  });
});

describe('literal decoding', () => {
  test('escapes, quotes, raw and triple-quoted strings', () => {
    const value = (lit: string) => compile(`name = ${lit}`).params[0];
    assert.equal(value(`"exe_name_with_'"`), "exe_name_with_'");
    assert.equal(value(`'a\\'b'`), "a'b");
    assert.equal(value(`"a\\"b"`), 'a"b');
    assert.equal(value(`'\\\\'`), '\\');
    assert.equal(value(`'\\n\\t\\r\\a\\b\\f\\v\\?\\\`'`), '\n\t\r\x07\b\f\v?`');
    assert.equal(value(`'\\x41\\u00e9\\U0001F600\\101'`), 'Aé😀A');
    assert.equal(value(`r'a\\nb'`), 'a\\nb');
    assert.equal(value(`R"a\\"b"`), 'a\\"b');
    assert.equal(value(`'''it's "quoted"\nover lines'''`), `it's "quoted"\nover lines`);
    assert.equal(value(`"""a""b"""`), 'a""b');
    assert.equal(value(`'-- not a comment'`), '-- not a comment');
    assert.equal(value(`'/* nor this */'`), '/* nor this */');
  });

  test('numbers', () => {
    const value = (lit: string) => compile(`properties.p.double_value = ${lit}`).params[1];
    assert.equal(value('1.5'), 1.5);
    assert.equal(value('.5'), 0.5);
    assert.equal(value('1e3'), 1000);
    assert.equal(value('2.5E-1'), 0.25);
    assert.equal(value('-0.5'), -0.5);
    assert.match(compile('properties.p.double_value = -(-0.5)').where, /= \(- \?\)\)/);
    assert.equal(value('10'), 10n);
    assert.equal(value('0x1f'), 31n);
  });

  test('comments and free whitespace', () => {
    const a = compile("id = 1 AND name = 'x'");
    const b = compile("id=1 -- first\n\tAND /* second */ name\n=\r\n'x' # done");
    assert.equal(a.where, b.where);
    assert.deepEqual(a.params, b.params);
  });

  test('keywords and attribute names are case-insensitive; enum names and prefixes are not', () => {
    assert.equal(
      compile("ID = 1 and Name LIKE 'a' Or NOT TYPE_ID IN (1)").where,
      compile("id = 1 AND name LIKE 'a' OR NOT type_id IN (1)").where,
    );
    assert.throws(() => compile('state = live'), /Unsupported enum value/);
    assert.throws(() => compile('CONTEXTS_a.id = 1'), /Unrecognized name: CONTEXTS_a/);
  });
});

/** The SQL without SQLite's time-limit checks (tested on their own below). */
const unchecked = (sql: string) =>
  sql
    .replace(/\(\(\([^()]*\) & 1023\) <> 0 OR mlmd_within_time_limit\(\)\)( AND )?/g, '')
    .replace(/ WHERE \)/g, ')')
    .replace(/ AND \)/g, ')');

describe('join shape', () => {
  const where = (q: string, kind: NodeKind = 'Artifact') => unchecked(compile(q, kind).where);
  const semiJoins = (q: string, kind: NodeKind = 'Artifact') =>
    (where(q, kind).match(/ IN \(SELECT |EXISTS \(SELECT /g) ?? []).length;
  const joins = (q: string, kind: NodeKind = 'Artifact') => (where(q, kind).match(/ JOIN /g) ?? []).length;

  test('no neighbour or property: the condition applies to the outer alias', () => {
    const out = where("name = 'a' AND type = 't' AND state != LIVE");
    assert.doesNotMatch(out, /table_0|JOIN/);
    assert.match(out, /^\(\(n\.name = \?\) AND/);
    assert.equal(
      unchecked(compileFilterQuery('id = 1', { nodeKind: 'Context', dialect: 'sqlite', alias: 'c' }).where),
      '(c.id = ?)',
    );
  });

  test('one semi-join per independent part: aliases cost one join each, not a product', () => {
    // one alias, however often it is mentioned: one semi-join over its link and its table
    assert.equal(semiJoins("contexts_a.name = 'x' AND contexts_a.type = 't' OR NOT contexts_a.id = 3"), 1);
    assert.equal(joins("contexts_a.name = 'x' AND contexts_a.type = 't'"), 1);
    // independent aliases: one semi-join each, never joined together
    assert.equal(semiJoins("contexts_a.name = 'x' AND contexts_b.name = 'y'"), 2);
    assert.equal(joins("contexts_a.name = 'x' AND contexts_b.name = 'y'"), 2);
    const eight = Array.from({ length: 8 }, (_, i) => `artifacts_a${i}.uri != 'x'`).join(' AND ');
    assert.equal(semiJoins(eight, 'Context'), 8);
    assert.equal(joins(eight, 'Context'), 8);
    // NOT over an AND of independent aliases is pushed down (De Morgan): one semi-join per branch, and each alias
    // must exist whichever branch holds
    assert.equal(semiJoins("NOT (contexts_a.name = 'x' AND contexts_b.name = 'y')"), 4);
    assert.equal(joins("NOT (contexts_a.name = 'x' AND contexts_b.name = 'y')"), 4);
    // a condition relating two aliases joins them (their rows are tried in combination)
    assert.equal(semiJoins('events_a.execution_id = events_b.execution_id'), 1);
    assert.equal(joins('events_a.execution_id = events_b.execution_id'), 1);
    // branches over the same property row stay one semi-join
    assert.equal(semiJoins("properties.p0.int_value = 1 OR properties.p0.string_value = '1'"), 1);
    assert.equal(semiJoins('properties.p0.int_value > 1 OR custom_properties.p0.int_value > 1'), 4);
  });

  test("a mentioned join must exist even where an OR branch does not use it (upstream's inner joins)", () => {
    const out = where("contexts_a.name = 'x' OR name = 'y'");
    // the existence of contexts_a is required separately, the OR is evaluated part by part
    assert.match(
      out,
      /^\(EXISTS \(SELECT 1 FROM Attribution link_1 JOIN Context table_1 ON table_1\.id = link_1\.context_id WHERE link_1\.artifact_id = n\.id\) AND/,
    );
  });

  test('the node table joins in only when the condition reads the node itself', () => {
    assert.doesNotMatch(where("contexts_a.name = 'x'"), /table_0/);
    assert.match(
      where('contexts_a.create_time_since_epoch > create_time_since_epoch'),
      /^EXISTS \(SELECT 1 FROM Artifact table_0 JOIN Attribution link_1 ON link_1\.artifact_id = table_0\.id JOIN Context table_1 ON table_1\.id = link_1\.context_id WHERE table_0\.id = n\.id AND/,
    );
    const props = compile(
      'custom_properties.b.int_value = 1 AND properties.b.int_value = custom_properties.b.int_value',
    );
    assert.match(
      unchecked(props.where),
      /^n\.id IN \(SELECT table_1\.artifact_id FROM ArtifactProperty table_1 JOIN ArtifactProperty table_2 ON table_2\.artifact_id = table_1\.artifact_id AND table_2\.name = \? AND table_2\.is_custom_property = 0 WHERE table_1\.name = \? AND table_1\.is_custom_property = 1 AND/,
    );
    // bound in text order: the second property's ON clause comes before the first one's WHERE condition
    assert.deepEqual(props.params, ['b', 'b', 1n]);
  });

  test('neighbour joins per kind', () => {
    assert.match(
      where('contexts_a.id = 1', 'Artifact'),
      /SELECT link_1\.artifact_id FROM Attribution link_1 JOIN Context table_1 ON table_1\.id = link_1\.context_id/,
    );
    assert.match(
      where('contexts_a.id = 1', 'Execution'),
      /SELECT link_1\.execution_id FROM Association link_1 JOIN Context table_1 ON table_1\.id = link_1\.context_id/,
    );
    assert.match(
      where('artifacts_a.id = 1', 'Context'),
      /SELECT link_1\.context_id FROM Attribution link_1 JOIN Artifact table_1 ON table_1\.id = link_1\.artifact_id/,
    );
    assert.match(
      where('executions_a.id = 1', 'Context'),
      /SELECT link_1\.context_id FROM Association link_1 JOIN Execution table_1 ON table_1\.id = link_1\.execution_id/,
    );
    assert.match(
      where('parent_contexts_a.id = 1', 'Context'),
      /SELECT link_1\.context_id FROM ParentContext link_1 JOIN Context table_1 ON table_1\.id = link_1\.parent_context_id/,
    );
    assert.match(
      where('child_contexts_a.id = 1', 'Context'),
      /SELECT link_1\.parent_context_id FROM ParentContext link_1 JOIN Context table_1 ON table_1\.id = link_1\.context_id/,
    );
    assert.match(
      where('events_a.execution_id = 1', 'Artifact'),
      /SELECT table_1\.artifact_id FROM Event table_1 WHERE/,
    );
    assert.match(
      where('events_a.artifact_id = 1', 'Execution'),
      /SELECT table_1\.execution_id FROM Event table_1 WHERE/,
    );
    assert.match(
      where('events_a.artifact_id = events_b.artifact_id', 'Execution'),
      /EXISTS \(SELECT 1 FROM Event table_1 JOIN Event table_2 ON table_2\.execution_id = table_1\.execution_id WHERE table_1\.execution_id = n\.id AND/,
    );
    // the strict superset of upstream's fields works
    assert.match(where("artifacts_a.external_id = 'e'", 'Context'), /table_1\.external_id = \?/);
    assert.match(
      where('child_contexts_a.create_time_since_epoch > 1', 'Context'),
      /table_1\.create_time_since_epoch > \?/,
    );
  });

  test('long AND / OR chains become balanced SQL', () => {
    const chain = Array.from({ length: 1024 }, (_, i) => `id = ${i}`).join(' OR ');
    const out = where(chain);
    let depth = 0;
    let max = 0;
    for (const c of out) {
      if (c === '(') max = Math.max(max, ++depth);
      if (c === ')') depth--;
    }
    assert.ok(max <= 12, `parentheses nest ${max} deep`);
  });

  test('enum rewrites', () => {
    const c = (q: string, kind: NodeKind = 'Artifact') => {
      const out = compile(q, kind);
      return { where: unchecked(out.where), params: out.params };
    };
    assert.deepEqual(c('state != LIVE'), { where: '((n.state <> ?) OR (n.state IS NULL))', params: [2n] });
    // an IN list of literals is one bound value (a JSON array on SQLite): the SQL is the same for any length
    assert.deepEqual(c('state NOT IN (DELETED, PENDING)'), {
      where: '((n.state NOT IN (SELECT value FROM json_each(?))) OR (n.state IS NULL))',
      params: ['[4,1]'],
    });
    assert.deepEqual(c('state IN (PENDING, LIVE)'), {
      where: '(n.state IN (SELECT value FROM json_each(?)))',
      params: ['[1,2]'],
    });
    assert.equal(
      c('id IN (1, 2, 3)').where,
      c(`id IN (${Array.from({ length: 5000 }, (_, i) => i).join(', ')})`).where,
    );
    // other items (columns, expressions, NULL) stay one placeholder each
    assert.deepEqual(c('id IN (1, type_id, NULL)'), { where: '(n.id IN (?, n.type_id, NULL))', params: [1n] });
    assert.deepEqual(c('state=PENDING'), { where: '(n.state = ?)', params: [1n] });
    // other operators compare integers, with ordinary NULL semantics
    assert.deepEqual(c('state <> 2'), { where: '(n.state <> ?)', params: [2n] });
    assert.deepEqual(c('state > 1'), { where: '(n.state > ?)', params: [1n] });
    assert.deepEqual(c('last_known_state = CANCELED', 'Execution').params, [6n]);
    assert.deepEqual(
      c('events_0.type IN (INPUT, OUTPUT, DECLARED_INPUT, DECLARED_OUTPUT, INTERNAL_INPUT, INTERNAL_OUTPUT)').params,
      ['[3,4,2,1,5,6]'],
    );
  });
});

describe('SQLite time-limit checks', () => {
  test('every scan checks the statement deadline first: by rowid on one table, at random over combinations', () => {
    const out = compile("name = 'a'").where;
    assert.ok(out.startsWith('(((n.rowid) & 1023) <> 0 OR mlmd_within_time_limit()) AND '), out);
    const one = compile("contexts_a.name = 'x'").where;
    assert.match(
      one,
      /WHERE \(\(\(link_1\.rowid \+ table_1\.rowid\) & 1023\) <> 0 OR mlmd_within_time_limit\(\)\) AND/,
    );
    const two = compile('events_a.execution_id = events_b.execution_id').where;
    assert.match(
      two,
      /WHERE table_1\.artifact_id = n\.id AND \(\(\(random\(\)\) & 1023\) <> 0 OR mlmd_within_time_limit\(\)\) AND/,
    );
  });

  test('PostgreSQL has none (statement_timeout)', () => {
    assert.doesNotMatch(compile("contexts_a.name = 'x'", 'Artifact', 'postgres').where, /mlmd_within_time_limit/);
  });
});

describe('PostgreSQL dialect', () => {
  test('typed placeholders, ILIKE without escape, boolean flags, safe division, binary string order', () => {
    const out = compile(
      "name LIKE 'a%' AND custom_properties.p.bool_value = true AND id / 0 IS NULL AND name < 'b'",
      'Artifact',
      'postgres',
    );
    assert.match(out.where, /n\.name ILIKE CAST\(\? AS TEXT\) ESCAPE ''/);
    assert.match(out.where, /table_1\.is_custom_property = TRUE/);
    assert.match(out.where, /table_1\.bool_value = CAST\(\? AS BOOLEAN\)/);
    assert.match(out.where, /n\.id \/ NULLIF\(CAST\(\? AS BIGINT\), 0\)/);
    assert.match(out.where, /\(n\.name\) COLLATE "C" < \(CAST\(\? AS TEXT\)\) COLLATE "C"/);
    assert.deepEqual(out.params, ['a%', '0', 'b', 'p', 'true']);
    const list = compile("name IN ('a\"b', 'c\\\\d') AND id NOT IN (1, 9223372036854775807)", 'Artifact', 'postgres');
    assert.match(list.where, /n\.name IN \(SELECT unnest\(CAST\(\? AS TEXT\[\]\)\)\)/);
    assert.match(list.where, /n\.id NOT IN \(SELECT unnest\(CAST\(\? AS BIGINT\[\]\)\)\)/);
    assert.deepEqual(list.params, ['{"a\\"b","c\\\\d"}', '{1,9223372036854775807}']);
  });
});

describe('MySQL dialect', () => {
  test('LIKE with literal backslashes, integer DIV, 0/1 flags, byte order of UTF-8 for string ordering', () => {
    const out = compile(
      "name LIKE 'a%' AND custom_properties.p.bool_value = true AND id / 0 IS NULL AND id / 2.0 > 1 AND name < 'b'",
      'Artifact',
      'mysql',
    );
    assert.match(out.where, /n\.name LIKE REPLACE\(\?, '\\\\', '\\\\\\\\'\)/);
    assert.match(out.where, /table_1\.is_custom_property = 1/);
    assert.match(out.where, /table_1\.bool_value = \?/);
    assert.match(out.where, /n\.id DIV NULLIF\(\?, 0\)/);
    assert.match(out.where, /n\.id \/ NULLIF\(\?, 0\)/);
    assert.match(
      out.where,
      /CAST\(CONVERT\(n\.name USING latin1\) AS BINARY\) < CAST\(CONVERT\(\? USING latin1\) AS BINARY\)/,
    );
    assert.deepEqual(out.params, ['a%', 0n, 2, 1n, 'b', 'p', 1n]);
  });
});

describe('hostile literals match literally in SQLite', () => {
  let db: Database;
  let api: MlmdApi;
  const ids = new Map<string, bigint>();

  before(async () => {
    db = await openDatabase({ kind: 'sqlite', filenameUri: ':memory:' });
    api = createMlmdApi(db);
    const { typeId } = await api.putArtifactType({ artifactType: { name: 'T' } });
    const names = HOSTILE.filter((h) => h !== '');
    const { artifactIds } = await api.putArtifacts({
      artifacts: names.map((name, i) => ({
        typeId,
        name,
        uri: name.toUpperCase(),
        customProperties: { [name]: { value: { $case: 'stringValue', value: name } } },
        externalId: `ext-${i}`,
      })),
    });
    names.forEach((n, i) => ids.set(n, artifactIds![i]));
  });
  after(() => db.close());

  const list = async (filterQuery: string): Promise<bigint[]> => {
    const out: bigint[] = [];
    let nextPageToken: string | undefined;
    do {
      const r = await api.getArtifacts({ options: { filterQuery, maxResultSize: 100, nextPageToken } });
      out.push(...(r.artifacts ?? []).map((a) => a.id!));
      nextPageToken = r.nextPageToken;
    } while (nextPageToken);
    return out;
  };

  test('= with either quote, and a property of the same name', async () => {
    for (const [name, id] of ids) {
      assert.deepEqual(await list(`name = ${literal(name)}`), [id], name);
      assert.deepEqual(await list(`name = ${literal(name, '"')}`), [id], name);
      const prop = name.includes('`') ? undefined : `custom_properties.\`${name}\`.string_value = ${literal(name)}`;
      if (prop) assert.deepEqual(await list(prop), [id], name);
    }
  });

  test('LIKE: % and _ are wildcards, ASCII case-insensitive, and backslash is an ordinary character', async () => {
    assert.deepEqual(await list(`name LIKE '\\\\'`), [ids.get('\\')]);
    assert.deepEqual(await list(`name LIKE '\\\\\\\\'`), [ids.get('\\\\')]);
    assert.deepEqual(await list(`name LIKE '%'`), [...ids.values()]);
    assert.deepEqual(
      await list(`name LIKE '_'`).then((r) => r.length),
      [...ids.keys()].filter((k) => [...k].length === 1).length,
    );
    assert.deepEqual(await list(`name LIKE 'a%b_c'`), [ids.get('a%b_c')]);
    assert.deepEqual(await list(`uri LIKE 'A%B_C'`), [ids.get('a%b_c')]);
    assert.deepEqual(await list(`uri LIKE 'a%b_c'`), [ids.get('a%b_c')]);
    assert.deepEqual(await list(`name LIKE '%DROP TABLE%'`), [ids.get('x; DROP TABLE Artifact; --')]);
    assert.deepEqual(await list(`name LIKE 'ünïcödé%'`), [ids.get('ünïcödé 名前 😀')]);
    assert.deepEqual(await list(`name LIKE '%😀'`), [ids.get('ünïcödé 名前 😀')]);
  });

  test('the store is intact afterwards', async () => {
    assert.equal((await list('id > 0')).length, ids.size);
  });

  test('a bad filter through the API is INVALID_ARGUMENT', async () => {
    await assert.rejects(
      list('invalid syntax'),
      (e: unknown) => e instanceof MlmdError && e.code === Code.INVALID_ARGUMENT,
    );
  });
});

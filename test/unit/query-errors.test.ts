/**
 * filter_query compiler: every class of error (lexical, syntax, names, fields, types, enums, non-boolean result)
 * answers INVALID_ARGUMENT "Invalid `filter_query`: …" with the position of the problem.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Code, MlmdError } from '../../src/errors';
import { compileFilterQuery, type NodeKind } from '../../src/query';

function errorOf(query: string, nodeKind: NodeKind = 'Artifact'): MlmdError {
  try {
    compileFilterQuery(query, { nodeKind, dialect: 'sqlite' });
  } catch (e) {
    assert.ok(e instanceof MlmdError, `not an MlmdError: ${e}`);
    return e;
  }
  assert.fail(`expected an error for ${JSON.stringify(query)} on ${nodeKind}`);
}

/** [query, kind, text the message contains, 1-based column (line 1) or "line:col"] */
type Case = [string, NodeKind, string, number | string];

const CASES: Record<string, Case[]> = {
  lexical: [
    ["name = 'abc", 'Artifact', 'Syntax error: Unclosed string literal', 8],
    ["name = 'exe_name_with_''", 'Artifact', 'Syntax error: Unclosed string literal', 24],
    ['name = "abc', 'Artifact', 'Unclosed string literal', 8],
    ["name = 'a\nb'", 'Artifact', 'Unclosed string literal', 8],
    ["name = 'a\\qb'", 'Artifact', 'Illegal escape sequence', 10],
    ["name = 'a\\x4'", 'Artifact', 'Illegal escape sequence', 10],
    ["name = 'a\\uD800'", 'Artifact', 'Illegal escape sequence', 10],
    ['name = `abc', 'Artifact', 'Unclosed identifier literal', 8],
    ['properties.``.int_value = 1', 'Artifact', 'Invalid empty identifier', 12],
    ['properties.0:b.int_value = 1', 'Artifact', 'Syntax error: Illegal input character ":"', 13],
    ['custom_properties.0:b.string_value', 'Artifact', 'Syntax error', 20],
    ['id = 1 /* open', 'Artifact', 'Unclosed comment', 8],
    ['id = 12abc', 'Artifact', 'after a number', 8],
    ['id = 9223372036854775809', 'Artifact', 'Invalid integer literal', 6],
    ['id = 9223372036854775808', 'Artifact', 'Invalid integer literal', 6],
    ['id = 1e999', 'Artifact', 'Invalid floating point literal', 6],
    ["name = 'é' AND ü = 1", 'Artifact', 'Illegal input character "ü"', 16],
    ['id = 1 ; DROP TABLE Artifact', 'Artifact', 'Illegal input character ";"', 8],
    ['id = 1 | 2', 'Artifact', 'Illegal input character "|"', 8],
  ],
  syntax: [
    ['', 'Artifact', 'Syntax error: Unexpected end of expression', 1],
    ['   ', 'Artifact', 'Syntax error: Unexpected end of expression', 4],
    ["a == 'a'", 'Artifact', 'Syntax error', 4],
    ['invalid syntax', 'Artifact', 'Syntax error: Expected end of input but got identifier "syntax"', 9],
    ['invalid syntax', 'Execution', 'Syntax error', 9],
    ['invalid syntax', 'Context', 'Syntax error', 9],
    ['last_known_state IN ()', 'Execution', 'Syntax error', 22],
    ['id IN 1', 'Artifact', 'Syntax error: Expected "(" but got number', 7],
    ['id IN (1, 2', 'Artifact', 'Syntax error: Unexpected end of expression', 12],
    ['(id = 1', 'Artifact', 'Unexpected end of expression', 8],
    ['(id = 1 2', 'Artifact', 'Expected ")" but got number', 9],
    ['id = 1)', 'Artifact', 'Expected end of input but got ")"', 7],
    ['id = 1 AND', 'Artifact', 'Unexpected end of expression', 11],
    ['id = 1 = 1', 'Artifact', 'Syntax error: Unexpected "="', 8],
    ["name LIKE 'a' LIKE 'b'", 'Artifact', 'Syntax error', 15],
    ['id = NOT 1', 'Artifact', 'Unexpected keyword NOT', 6],
    ['id NOT = 1', 'Artifact', 'Unexpected keyword NOT', 4],
    ['id IS 1', 'Artifact', 'Expected keyword NULL but got number', 7],
    ['id IS TRUE', 'Artifact', 'Expected keyword NULL but got keyword TRUE', 7],
    ['id BETWEEN 1 OR 2', 'Artifact', 'Expected keyword AND', 14],
    ['contexts_0.id.', 'Artifact', 'Syntax error: Unexpected end of expression', 15],
    ['properties.bar.', 'Artifact', 'Unexpected end of expression', 16],
    ['custom_properties.bar.', 'Artifact', 'Unexpected end of expression', 23],
    ['events_0.execution_id.', 'Artifact', 'Unexpected end of expression', 23],
    ["contexts_a .name = 'x'", 'Artifact', 'Whitespace is not allowed before "."', 12],
    ["contexts_a. name = 'x'", 'Artifact', 'Whitespace is not allowed after "."', 13],
    ['contexts_a.(id) = 1', 'Artifact', 'Expected a field name after "." but got "("', 12],
    ["LOWER(name) = 'a'", 'Artifact', 'Function calls are not supported', 1],
    ['id = 1\n  AND AND', 'Artifact', 'Syntax error', '2:7'],
  ],
  names: [
    ['a', 'Artifact', 'Unrecognized name: a', 1],
    ["a = 'a'", 'Artifact', 'Unrecognized name: a', 1],
    ['create_time_since_epoch = a', 'Artifact', 'Unrecognized name: a', 27],
    ['name = a', 'Execution', 'Unrecognized name: a', 8],
    ['external_id = a', 'Context', 'Unrecognized name: a', 15],
    ["unknown_field = 'uri_3' and type_id = 1", 'Artifact', 'Unrecognized name: unknown_field', 1],
    ['uri = 1', 'Execution', 'Unrecognized name: uri', 1],
    ['uri = 1', 'Context', 'Unrecognized name: uri', 1],
    ['state IS NULL', 'Execution', 'Unrecognized name: state', 1],
    ['last_known_state IS NULL', 'Artifact', 'Unrecognized name: last_known_state', 1],
    ['contexts', 'Artifact', 'Unrecognized name: contexts', 1],
    ['contexts_0', 'Artifact', 'Unrecognized name: contexts_0', 1],
    ['artifacts', 'Context', 'Unrecognized name: artifacts', 1],
    ['artifacts_0', 'Context', 'Unrecognized name: artifacts_0', 1],
    ['executions', 'Context', 'Unrecognized name: executions', 1],
    ['executions_0', 'Context', 'Unrecognized name: executions_0', 1],
    ['properties', 'Artifact', 'Unrecognized name: properties', 1],
    ['properties.foo', 'Artifact', 'Unrecognized name: properties', 1],
    ['custom_properties.foo', 'Execution', 'Unrecognized name: custom_properties', 1],
    ['events', 'Artifact', 'Unrecognized name: events', 1],
    ['child_contexts_0', 'Context', 'Unrecognized name: child_contexts_0', 1],
    ['parent_contexts', 'Context', 'Unrecognized name: parent_contexts', 1],
    ['events_0.artifact_id = 1', 'Context', 'Unrecognized name: events_0', 1],
    ['executions_c.id = 123', 'Artifact', 'Unrecognized name: executions_c', 1],
    ['executions_c.id = 123', 'Execution', 'Unrecognized name: executions_c', 1],
    ['artifacts_c.id = 123', 'Artifact', 'Unrecognized name: artifacts_c', 1],
    ['artifacts_c.id = 123', 'Execution', 'Unrecognized name: artifacts_c', 1],
    ['contexts_0.id = 1', 'Context', 'Unrecognized name: contexts_0', 1],
    ['Contexts_0.id = 1', 'Artifact', 'Unrecognized name: Contexts_0', 1],
    ['id = 1 OR state = LIVE AND LIVE = state', 'Artifact', 'Unrecognized name: LIVE', 28],
    ['state > LIVE', 'Artifact', 'Unrecognized name: LIVE', 9],
    ['state <> LIVE', 'Artifact', 'Unrecognized name: LIVE', 10],
    ['`nosuch` = 1', 'Artifact', 'Unrecognized name: `nosuch`', 1],
  ],
  fields: [
    ['contexts_0.foo', 'Artifact', 'Field name foo does not exist in STRUCT<id INT64, name STRING, type STRING', 12],
    ['artifacts_0.foo', 'Context', 'Field name foo does not exist in STRUCT<', 13],
    ['executions_0.foo', 'Context', 'Field name foo does not exist', 14],
    ['child_contexts_0.foo', 'Context', 'Field name foo does not exist', 18],
    ['parent_contexts_0.foo', 'Context', 'Field name foo does not exist', 19],
    ["events_0.field_1 = '1'", 'Artifact', 'Field name field_1 does not exist', 10],
    ['events_0.artifact_id = 1', 'Artifact', 'Field name artifact_id does not exist', 10],
    ['events_0.execution_id = 1', 'Execution', 'Field name execution_id does not exist', 10],
    ['properties.baz.int', 'Artifact', 'Field name int does not exist', 16],
    ['custom_properties.baz.string', 'Artifact', 'Field name string does not exist', 23],
    ['contexts_0.id.bar', 'Artifact', 'Cannot access field bar on a value with type INT64', 15],
    ['artifacts_0.id.bar', 'Context', 'Cannot access field bar', 16],
    ['executions_0.id.bar', 'Context', 'Cannot access field bar', 17],
    ['parent_contexts_0.id.bar', 'Context', 'Cannot access field bar', 22],
    ['child_contexts_0.id.bar', 'Context', 'Cannot access field bar', 21],
    ['properties.p.int_value.x = 1', 'Artifact', 'Cannot access field x on a value with type INT64', 24],
    ['name.x = 1', 'Artifact', 'Cannot access field x on a value with type STRING', 6],
  ],
  types: [
    ["id = 'a'", 'Artifact', 'No matching signature for operator = for argument types: INT64, STRING', 1],
    ["type_id = 'a'", 'Execution', 'No matching signature for operator = for argument types', 1],
    ['type = 1', 'Context', 'No matching signature for operator = for argument types: STRING, INT64', 1],
    ['uri = 1', 'Artifact', 'No matching signature for operator = for argument types', 1],
    ['name = 1', 'Artifact', 'No matching signature for operator =', 1],
    ['external_id = 1', 'Artifact', 'No matching signature for operator =', 1],
    ["create_time_since_epoch = 'a'", 'Artifact', 'No matching signature for operator =', 1],
    ["last_update_time_since_epoch = 'a'", 'Execution', 'No matching signature for operator =', 1],
    ["state = 'LIVE'", 'Artifact', 'No matching signature for operator = for argument types: INT64, STRING', 1],
    ["last_known_state = 'RUNNING'", 'Execution', 'No matching signature for operator =', 1],
    ['name LIKE 1', 'Artifact', 'No matching signature for operator LIKE for argument types: STRING, INT64', 1],
    ["id LIKE '1'", 'Artifact', 'No matching signature for operator LIKE', 1],
    ['name + 1 > 2', 'Artifact', 'No matching signature for operator + for argument types: STRING, INT64', 1],
    ["-name = 'a'", 'Artifact', 'No matching signature for operator unary -', 1],
    ['id AND name = 1', 'Artifact', 'No matching signature for operator = for argument types: STRING, INT64', 8],
    ["id AND name = 'a'", 'Artifact', 'No matching signature for operator AND for argument types: INT64, BOOL', 1],
    ['NOT id', 'Artifact', 'No matching signature for operator NOT for argument types: INT64', 1],
    ["id IN (1, 'a')", 'Artifact', 'No matching signature for operator IN for argument types: INT64, INT64, STRING', 1],
    ["id NOT IN ('a')", 'Artifact', 'No matching signature for operator NOT IN', 1],
    ["id BETWEEN 1 AND 'a'", 'Artifact', 'No matching signature for operator BETWEEN', 1],
    [
      'properties.p.bool_value = 1',
      'Artifact',
      'No matching signature for operator = for argument types: BOOL, INT64',
      1,
    ],
    ['x = 1 OR (name = 1)', 'Artifact', 'Unrecognized name: x', 1],
    ['id = 1 OR (name = 1)', 'Artifact', 'No matching signature', 12],
  ],
  'non-boolean': [
    ["'a'", 'Artifact', "Given query string is not a valid boolean expression: 'a'", 1],
    ['type_id', 'Artifact', 'not a valid boolean expression: type_id', 1],
    ['state', 'Artifact', 'not a valid boolean expression', 1],
    ['last_known_state', 'Execution', 'not a valid boolean expression', 1],
    ['1 + 2', 'Context', 'not a valid boolean expression', 1],
    ['NULL', 'Context', 'not a valid boolean expression', 1],
    ['properties.p.string_value', 'Context', 'not a valid boolean expression', 1],
  ],
  enums: [
    ['state = 1', 'Artifact', 'Unsupported enum value specified in the query: 1', 9],
    ['last_known_state = 1', 'Execution', 'Unsupported enum value specified in the query: 1', 20],
    ['state = RUNNING', 'Artifact', 'Unsupported enum value specified in the query: RUNNING', 9],
    ['last_known_state = LIVE', 'Execution', 'Unsupported enum value specified in the query: LIVE', 20],
    ['last_known_state NOT IN (PENDING)', 'Execution', 'Unsupported enum value specified in the query: PENDING', 26],
    ['events_0.type = SOME_ENUM', 'Artifact', 'Unsupported enum value specified in the query: SOME_ENUM', 17],
    ['events_0.type IN (SOME_ENUM)', 'Execution', 'Unsupported enum value specified in the query: SOME_ENUM', 19],
    ['state = ABANDONED', 'Artifact', 'Unsupported enum value specified in the query: ABANDONED', 9],
    ['state != REFERENCE', 'Artifact', 'Unsupported enum value', 10],
    ['events_0.type = PENDING_OUTPUT', 'Artifact', 'Unsupported enum value', 17],
    ['events_0.type = UNKNOWN', 'Artifact', 'Unsupported enum value', 17],
    ['state = live', 'Artifact', 'Unsupported enum value specified in the query: live', 9],
    ["state IN (LIVE, 'x')", 'Artifact', "Unsupported enum value specified in the query: 'x'", 17],
    ['state IN (LIVE, 2)', 'Artifact', 'Unsupported enum value specified in the query: 2', 17],
    ['artifacts_a.state = RUNNING', 'Context', 'Unsupported enum value specified in the query: RUNNING', 21],
    ['executions_a.last_known_state IN (LIVE)', 'Context', 'Unsupported enum value', 35],
    ['state IN RUNNING', 'Artifact', 'Expected a list of enum values enclosed in parentheses but got RUNNING', 10],
    [
      'events_0.type NOT IN INPUT',
      'Artifact',
      'Expected a list of enum values enclosed in parentheses but got INPUT',
      22,
    ],
  ],
};

describe('filter_query errors', () => {
  for (const [group, cases] of Object.entries(CASES)) {
    test(group, () => {
      for (const [query, kind, contains, at] of cases) {
        const e = errorOf(query, kind);
        const where = `${JSON.stringify(query)} on ${kind}: ${e.message}`;
        assert.equal(e.code, Code.INVALID_ARGUMENT, where);
        assert.ok(e.message.startsWith('Invalid `filter_query`: '), where);
        assert.ok(e.message.includes(contains), `${where}\n  expected to contain: ${contains}`);
        const pos = typeof at === 'number' ? `1:${at}` : at;
        assert.ok(e.message.endsWith(`[at ${pos}]`), `${where}\n  expected position ${pos}`);
      }
    });
  }

  test('columns count characters, not UTF-16 units', () => {
    const e = errorOf("name = '😀' AND x = 1");
    assert.match(e.message, /Unrecognized name: x \[at 1:16\]$/);
  });
});

/**
 * The rule for property values: never store what cannot be read back exactly. Each check below refuses, before
 * anything is written, a value whose stored row would read back as something else (or not at all), for us or for
 * the ml-metadata package reading the same database; the message names the property.
 *
 *   - double NaN: SQLite stores NaN as NULL, so the row would hold no value at all (every read of the node failed).
 *   - a finite double above 1.797693134862315e308 in magnitude: the package reads doubles through SQLite's
 *     15-significant-digit text, which rounds these up past the largest double, so it would read infinity.
 *     (±Infinity itself is stored as such by SQLite and PostgreSQL and read back as infinity by both readers.)
 *   - a string starting with `mlmd-struct::`: MLMD's encoding keeps struct values in string_value behind that
 *     prefix, and every reader (ours, the package) decodes such a string as a struct. No column is left for it.
 *   - a struct nested deeper than MAX_STRUCT_NESTING: protobuf parsers stop at 100 nested messages, and a response
 *     wraps the struct in up to five more (response, lineage graph, node, map entry, Value): the package could not
 *     parse the node, and clients could not parse the response.
 *   - a proto_value (Any) with an empty type_url: the package refuses such a row when it reads it.
 *
 * One value is stored as an equal but not identical one, as upstream does: -0.0 becomes 0.0 (SQLite stores a whole
 * REAL as an integer; the two compare equal, and refusing would break pipelines that log rounded metrics).
 */
import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../errors';

/** MLMD's marker for a struct value stored in string_value (followed by base64 of the serialized Struct). */
export const STRUCT_PREFIX = 'mlmd-struct::';

/** The largest double whose 15-significant-digit text still parses to a finite double. */
export const LARGEST_READABLE_DOUBLE = 1.797693134862315e308;

/**
 * How deep a struct_value may nest: the struct itself is level 1, each struct or list inside it one level more.
 * 30 levels are at most 3 x 30 + 3 = 93 protobuf messages (a struct level is a map entry, a Value and a Struct),
 * which leaves room for the five messages around it in any response under protobuf's limit of 100.
 */
export const MAX_STRUCT_NESTING = 30;

export function checkReadable(value: Value, what: string): void {
  const v = value.value;
  switch (v?.$case) {
    case 'doubleValue':
      if (Number.isNaN(v.value))
        throw invalidArgument(`${what} is NaN: a NaN double cannot be stored (SQLite stores it as NULL)`);
      if (Number.isFinite(v.value) && Math.abs(v.value) > LARGEST_READABLE_DOUBLE)
        throw invalidArgument(
          `${what} is ${v.value}: doubles beyond ±${LARGEST_READABLE_DOUBLE} read back as infinity through ` +
            `SQLite's 15-digit text (as the ml-metadata package reads them)`,
        );
      return;
    case 'stringValue':
      if (v.value.startsWith(STRUCT_PREFIX))
        throw invalidArgument(
          `${what} starts with "${STRUCT_PREFIX}", the prefix MLMD's storage reserves for struct values: ` +
            `it would read back as a struct, not as this string`,
        );
      return;
    case 'structValue': {
      const depth = nesting(v.value ?? {});
      if (depth > MAX_STRUCT_NESTING)
        throw invalidArgument(
          `${what} nests structs and lists ${depth} levels deep; at most ${MAX_STRUCT_NESTING} levels ` +
            `(MAX_STRUCT_NESTING) can be read back by protobuf parsers`,
        );
      return;
    }
    case 'protoValue':
      if (!v.value.typeUrl)
        throw invalidArgument(`${what} is a proto_value with an empty type_url; MLMD cannot read such a value back`);
      return;
    default:
      return;
  }
}

/** Levels of objects and arrays in a struct's JSON-like value (an explicit stack: the input may be deep). */
function nesting(root: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    max = Math.max(max, level);
    if (max > MAX_STRUCT_NESTING) return max;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, level + 1]);
  }
  return max;
}

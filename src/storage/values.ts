/**
 * MLMD's encoding of property values in the {Artifact,Execution,Context}Property tables.
 *
 * One row per property, exactly one value column set, chosen by the Value case:
 *   int -> int_value, double -> double_value (full precision; MLMD itself rounds to 6 decimals),
 *   string -> string_value, struct -> string_value as "mlmd-struct::" + base64(serialized Struct),
 *   proto (Any) -> proto_value (the serialized Any, as the backend's adapter encodes bytes: base64 text on SQLite and
 *   MySQL, where MLMD reads every column as text; raw bytes on PostgreSQL), bool -> bool_value 0/1.
 * Reading applies MLMD's precedence: int, double, string (struct when prefixed), proto, bool.
 *
 * Writing refuses (INVALID_ARGUMENT naming the property) every value that could not be read back exactly, by us or
 * by the ml-metadata package, from the stored row (src/storage/readable-values.ts says why for each rule), and every
 * value the backend cannot hold exactly, rather than letting the database alter it or fail on it: int64 beyond 32 bits
 * where ml-metadata's DDL made int_value an INT (its PostgreSQL and MySQL databases), infinities where DOUBLE cannot
 * hold them (MySQL).
 */
import { Any } from '../../generated/google/protobuf/any';
import { Struct } from '../../generated/google/protobuf/struct';
import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../errors';
import type { DialectAdapter } from './adapter';
import type { SqlValue } from './database';
import { checkReadable, STRUCT_PREFIX } from './readable-values';

export { STRUCT_PREFIX };

export interface ValueColumns {
  int_value: bigint | null;
  double_value: number | null;
  string_value: string | null;
  proto_value: SqlValue;
  bool_value: number | null;
}

const EMPTY: ValueColumns = {
  int_value: null,
  double_value: null,
  string_value: null,
  proto_value: null,
  bool_value: null,
};

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/** Encodes a Value for `adapter`'s database; `what` names the property in errors. */
export function encodeValue(adapter: DialectAdapter, value: Value, what: string): ValueColumns {
  checkReadable(value, what);
  const v = value.value;
  switch (v?.$case) {
    case 'intValue':
      if (adapter.intValueBits === 32 && (v.value < INT32_MIN || v.value > INT32_MAX)) {
        throw invalidArgument(
          `${what} has int_value ${v.value}, which does not fit this database's int_value column: databases ` +
            `created by ml-metadata on ${adapter.dialect} declare it INT ` +
            `(32 bits); databases created by cmf-mlmd hold int64`,
        );
      }
      return { ...EMPTY, int_value: v.value };
    case 'doubleValue':
      if (!adapter.storesNonFiniteDoubles && !Number.isFinite(v.value)) {
        throw invalidArgument(
          `${what} has double_value ${v.value}, which the ${adapter.dialect} database cannot store`,
        );
      }
      // SQLite cannot hold a negative zero (a whole REAL is stored as an integer): -0.0 reads back as 0.0, as upstream.
      return { ...EMPTY, double_value: Object.is(v.value, -0) ? 0 : v.value };
    case 'stringValue':
      return { ...EMPTY, string_value: v.value };
    case 'structValue':
      return {
        ...EMPTY,
        string_value:
          STRUCT_PREFIX + Buffer.from(Struct.encode(Struct.wrap(v.value ?? {})).finish()).toString('base64'),
      };
    case 'protoValue':
      return { ...EMPTY, proto_value: adapter.encodeBytes(Any.encode(v.value).finish()) };
    case 'boolValue':
      return { ...EMPTY, bool_value: v.value ? 1 : 0 };
    default:
      throw invalidArgument(
        `${what} has no value set: one of int_value, double_value, string_value, struct_value, proto_value or bool_value is required`,
      );
  }
}

export function valueColumnsAsParams(c: ValueColumns): SqlValue[] {
  return [c.int_value, c.double_value, c.string_value, c.proto_value, c.bool_value];
}

/** Decodes a stored property row back into a Value. */
export function decodeValue(adapter: DialectAdapter, row: Record<string, SqlValue>): Value {
  if (row.int_value !== null && row.int_value !== undefined)
    return { value: { $case: 'intValue', value: BigInt(row.int_value as bigint) } };
  if (row.double_value !== null && row.double_value !== undefined)
    return { value: { $case: 'doubleValue', value: Number(row.double_value) } };
  if (row.string_value !== null && row.string_value !== undefined) {
    const s = String(row.string_value);
    const struct = s.startsWith(STRUCT_PREFIX) ? decodeStruct(s.slice(STRUCT_PREFIX.length)) : undefined;
    if (struct !== undefined) return { value: { $case: 'structValue', value: struct } };
    return { value: { $case: 'stringValue', value: s } };
  }
  if (row.proto_value !== null && row.proto_value !== undefined) {
    return { value: { $case: 'protoValue', value: Any.decode(adapter.decodeBytes(row.proto_value)) } };
  }
  if (row.bool_value !== null && row.bool_value !== undefined) {
    return { value: { $case: 'boolValue', value: BigInt(row.bool_value as bigint | number) !== 0n } };
  }
  // A row without a value (earlier versions stored a NaN double so, since SQLite turns NaN into NULL) reads as a Value
  // with no case rather than failing every read and listing that contains its node.
  return {};
}

/**
 * The Struct behind `mlmd-struct::`, or undefined when the rest is not canonical base64 of a Struct: such a string
 * cannot have been written as a struct (writes refuse strings with the prefix), so it reads back as the string it is.
 */
function decodeStruct(base64: string): ReturnType<typeof Struct.unwrap> | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.toString('base64') !== base64) return undefined;
  try {
    return Struct.unwrap(Struct.decode(bytes));
  } catch {
    return undefined;
  }
}

/** Structural equality of two Values (used to decide whether an update changes anything). */
export function sameValue(a: Value, b: Value): boolean {
  const x = a.value;
  const y = b.value;
  if (!x || !y || x.$case !== y.$case) return x === y;
  switch (x.$case) {
    case 'structValue':
      return JSON.stringify(x.value) === JSON.stringify((y as typeof x).value);
    case 'protoValue': {
      const o = (y as typeof x).value;
      return (
        x.value.typeUrl === o.typeUrl &&
        Buffer.compare(Buffer.from(x.value.value ?? []), Buffer.from(o.value ?? [])) === 0
      );
    }
    default:
      return x.value === (y as typeof x).value;
  }
}

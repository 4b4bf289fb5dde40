/**
 * What differs between the SQL backends in generated filter SQL. Everything else is shared.
 *
 * Chosen behaviour, the same on every backend (it is what users of MLMD's SQLite files saw):
 *   - LIKE is case-insensitive and has no escape character (`%` and `_` are always wildcards);
 *   - string comparison is binary (code-point order);
 *   - integer division truncates, and dividing by zero gives NULL (SQLite) instead of an error.
 */
import { ValueType } from './catalog';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** A value bound to a `?` placeholder. */
export type BoundValue = bigint | number | string | null;

export interface QueryDialect {
  name: DialectName;
  /** The placeholder for a bound value of this type. */
  placeholder(type: ValueType): string;
  /** Encodes a value for binding. */
  bind(value: bigint | number | string | boolean): BoundValue;
  /** The `is_custom_property` flag as SQL text (it is our constant, not a user value). */
  flag(custom: boolean): string;
  like(left: string, right: string, negated: boolean): string;
  /** `left / right`; `integers` when neither side is a double (then the quotient truncates, as SQLite's does). */
  divide(left: string, right: string, integers: boolean): string;
  /** Wraps each side of an ordering comparison of strings so the comparison uses binary (code-point) order. */
  binaryString(sql: string): string;
}

export const SQLITE: QueryDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  bind: (v) => (typeof v === 'boolean' ? (v ? 1n : 0n) : v),
  flag: (custom) => (custom ? '1' : '0'),
  // SQLite's LIKE: ASCII case-insensitive, no escape character unless ESCAPE is given.
  like: (l, r, negated) => `${l} ${negated ? 'NOT LIKE' : 'LIKE'} ${r}`,
  divide: (l, r) => `${l} / ${r}`,
  binaryString: (sql) => sql,
};

const PG_TYPES: Record<ValueType, string> = {
  INT64: 'BIGINT',
  DOUBLE: 'DOUBLE PRECISION',
  STRING: 'TEXT',
  BOOL: 'BOOLEAN',
};

export const POSTGRES: QueryDialect = {
  name: 'postgres',
  // Typed placeholders: PostgreSQL infers a parameter's type from its context, which is ambiguous in arithmetic.
  placeholder: (type) => `CAST(? AS ${PG_TYPES[type]})`,
  bind: (v) => (typeof v === 'boolean' ? (v ? 'true' : 'false') : typeof v === 'bigint' ? v.toString() : v),
  flag: (custom) => (custom ? 'TRUE' : 'FALSE'),
  // ILIKE for SQLite's case-insensitivity; ESCAPE '' because PostgreSQL's LIKE treats backslash as an escape.
  like: (l, r, negated) => `${l} ${negated ? 'NOT ILIKE' : 'ILIKE'} ${r} ESCAPE ''`,
  divide: (l, r) => `${l} / NULLIF(${r}, 0)`,
  binaryString: (sql) => `(${sql}) COLLATE "C"`,
};

/** MySQL's `'\\'` (one backslash) and `'\\\\'` (two): backslash escapes are on in the sessions we open. */
const MYSQL_BACKSLASH = "'\\\\'";
const MYSQL_TWO_BACKSLASHES = "'\\\\\\\\'";

export const MYSQL: QueryDialect = {
  name: 'mysql',
  // Server-side prepared statements type each parameter by its bound value.
  placeholder: () => '?',
  bind: (v) => (typeof v === 'boolean' ? (v ? 1n : 0n) : v),
  flag: (custom) => (custom ? '1' : '0'),
  // LIKE's case rules are the column's collation (case-insensitive by default). Its escape character is always a
  // backslash (MariaDB ignores ESCAPE ''), so the pattern's backslashes are doubled to stay literal.
  like: (l, r, negated) =>
    `${l} ${negated ? 'NOT LIKE' : 'LIKE'} REPLACE(${r}, ${MYSQL_BACKSLASH}, ${MYSQL_TWO_BACKSLASHES})`,
  // `/` of two integers is a decimal in MySQL; DIV truncates like SQLite.
  divide: (l, r, integers) => `${l} ${integers ? 'DIV' : '/'} NULLIF(${r}, 0)`,
  // The strings' UTF-8 bytes (charset.ts in storage/mysql: latin1 holds them one byte per character).
  binaryString: (sql) => `CAST(CONVERT(${sql} USING latin1) AS BINARY)`,
};

const DIALECTS: Record<DialectName, QueryDialect> = { sqlite: SQLITE, postgres: POSTGRES, mysql: MYSQL };

export function dialectFor(name: DialectName): QueryDialect {
  return DIALECTS[name];
}

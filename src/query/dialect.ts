/**
 * What differs between the SQL backends in generated filter SQL. Everything else is shared.
 *
 * Chosen behaviour, the same on every backend (it is what users of MLMD's SQLite files saw):
 *   - LIKE is case-insensitive and has no escape character (`%` and `_` are always wildcards);
 *   - string comparison is binary (code-point order);
 *   - integer division truncates, and dividing by zero gives NULL (SQLite) instead of an error.
 */
import { TIME_LIMIT_CHECK } from '../time-limit';
import type { ValueType } from './catalog';

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
  /**
   * For a backend that cannot time a statement out by itself: an always-TRUE condition, placed first in the WHERE
   * clause of every scan of the filter (the aliases are its tables), that checks the running statement's time
   * limit every so many rows and fails the statement past it. `combinations`: the rows are combinations of several
   * aliases' rows, whose ids an adversary could arrange, so the check must not depend on them.
   */
  rowCheck?(aliases: string[], combinations: boolean): string;
  /**
   * An IN list of literal values of one type as ONE bound value: `x IN (<listSql>)` with `bindList(values)`. The SQL
   * text is then the same for any length, so a long list neither varies the statement (each distinct statement
   * costs memory until it is collected) nor spends a parameter per item. Without it, items are placeholders.
   */
  listSql?(type: ValueType): string;
  bindList?(type: ValueType, values: ReadonlyArray<bigint | number | string | boolean>): BoundValue;
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
  // better-sqlite3 (12) exposes neither sqlite3_interrupt nor a progress handler (its build omits it): a statement
  // checks its own deadline through a function the storage layer registers on every connection. Calling JavaScript
  // costs ~0.5 us, so it is called on one row in 1024: chosen by the tables' rowids (cheap, ~10% on a plain scan),
  // or at random (~2x) over combinations of rows.
  rowCheck: (aliases, combinations) => {
    const pick = combinations ? 'random()' : aliases.map((a) => `${a}.rowid`).join(' + ');
    return `(((${pick}) & 1023) <> 0 OR ${TIME_LIMIT_CHECK}())`;
  },
  // A JSON array: SQLite's JSON reads 64-bit integers exactly, numbers as REAL, strings as TEXT.
  listSql: () => 'SELECT value FROM json_each(?)',
  bindList: (_type, values) =>
    `[${values.map((v) => (typeof v === 'bigint' ? v.toString() : typeof v === 'boolean' ? (v ? '1' : '0') : JSON.stringify(v))).join(',')}]`,
};

const PG_TYPES: Record<ValueType, string> = {
  INT64: 'BIGINT',
  DOUBLE: 'DOUBLE PRECISION',
  STRING: 'TEXT',
  BOOL: 'BOOLEAN',
};

/** PostgreSQL times statements out itself (statement_timeout, set per transaction by storage/postgres.ts). */
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
  // A typed array literal, expanded by unnest.
  listSql: (type) => `SELECT unnest(CAST(? AS ${PG_TYPES[type]}[]))`,
  bindList: (_type, values) => `{${values.map(pgArrayElement).join(',')}}`,
};

/** One element of a PostgreSQL array literal: strings double-quoted with `"` and `\` escaped. */
function pgArrayElement(v: bigint | number | string | boolean): string {
  if (typeof v === 'string') return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return String(v);
}

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

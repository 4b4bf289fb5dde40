/**
 * Small SQL helpers shared by the domains, so dialect differences stay in storage/.
 */
import { Dialect, SqlValue } from './database';

/**
 * A subquery yielding the given integers, bound as ONE parameter whatever the list's length (no statement per list
 * size, no parameter limits): `x IN (${idSet(...).sql})`.
 */
export function idSet(dialect: Dialect, ids: readonly bigint[]): { sql: string; param: SqlValue } {
  if (dialect === 'postgres') return { sql: 'SELECT json_array_elements_text(?::json)::bigint', param: `[${ids.join(',')}]` };
  return { sql: 'SELECT value FROM json_each(?)', param: `[${ids.join(',')}]` };
}

/** The same for strings. */
export function textSet(dialect: Dialect, values: readonly string[]): { sql: string; param: SqlValue } {
  if (dialect === 'postgres') return { sql: 'SELECT json_array_elements_text(?::json)', param: JSON.stringify(values) };
  return { sql: 'SELECT value FROM json_each(?)', param: JSON.stringify(values) };
}

/** Milliseconds since the Unix epoch, as MLMD stores every timestamp. */
export function nowMillis(): bigint {
  return BigInt(Date.now());
}

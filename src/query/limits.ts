/**
 * What one filter_query may cost, checked before any SQL runs. A query past a limit is INVALID_ARGUMENT naming the
 * limit (see limitError); nothing reaches the database.
 *
 * Why these values:
 *   - MAX_FILTER_QUERY_LENGTH bounds the work of the lexer and parser (linear) and of everything after them.
 *   - MAX_FILTER_DEPTH bounds recursion in the compiler (the parser and analyzer recurse per level) and the
 *     expression depth of the SQL (SQLite refuses beyond 1000 levels); nobody writes 100 nested levels by hand.
 *     Chains of AND / OR do not count towards it: they are n-ary and become balanced SQL.
 *   - MAX_FILTER_VALUES bounds the bound parameters of the statement (SQLite allows 32,766, PostgreSQL 65,535) and
 *     MAX_FILTER_IN_LIST the items of one IN list.
 *   - MAX_FILTER_ALIASES / MAX_FILTER_PROPERTIES bound the joins of the statement (SQLite allows 64 tables in a
 *     join; every alias is up to two).
 *   - MAX_FILTER_RELATED_ALIASES bounds the only super-linear part: aliases that one condition relates (e.g.
 *     `events_a.execution_id = events_b.execution_id`) are evaluated over every combination of their rows, so the
 *     cost grows as the product of their row counts. Independent aliases are evaluated one at a time (sql.ts), so
 *     their cost adds up instead of multiplying.
 * What the data makes a bounded query cost is bounded by the read time limit of the store (storage/).
 */
import { queryError } from './errors';

export const MAX_FILTER_QUERY_LENGTH = 100_000;
export const MAX_FILTER_DEPTH = 100;
export const MAX_FILTER_VALUES = 10_000;
export const MAX_FILTER_IN_LIST = 10_000;
export const MAX_FILTER_ALIASES = 10;
export const MAX_FILTER_PROPERTIES = 20;
export const MAX_FILTER_RELATED_ALIASES = 2;

/** "Invalid `filter_query`: <what>; the limit is <value> (<NAME>) [at l:c]". */
export function limitError(query: string, offset: number, what: string, name: string, value: number) {
  return queryError(query, offset, `${what}; the limit is ${value.toLocaleString('en-US')} (${name})`);
}

/**
 * filter_query compiler: lexer -> parser -> analyzer (names, types, enums, joins) -> plan (how joined rows are
 * evaluated) -> dialect-aware SQL. What a query may cost is bounded along the way (limits.ts).
 *
 * Independent of the MLMD domain: callers say which node kind is listed, which SQL dialect to emit and the alias
 * of the node table in their statement, and get back a condition on that alias plus its bound values.
 * Every error is an MlmdError INVALID_ARGUMENT "Invalid `filter_query`: … [at line:column]".
 */
import { analyze } from './analyzer';
import type { NodeKind } from './catalog';
import { type BoundValue, dialectFor, type DialectName } from './dialect';
import { parse } from './parser';
import { planFilter } from './plan';
import { generateSql } from './sql';

export type { NodeKind } from './catalog';
export type { BoundValue, DialectName } from './dialect';
export * from './limits';

export interface CompileOptions {
  nodeKind: NodeKind;
  dialect: DialectName;
  /** Alias of the listed node table in the caller's statement (default `n`). */
  alias?: string;
}

export interface CompiledFilterQuery {
  where: string;
  params: BoundValue[];
}

export function compileFilterQuery(query: string, options: CompileOptions): CompiledFilterQuery {
  const tree = parse(query);
  const analysis = analyze(query, tree, options.nodeKind);
  const plan = planFilter(query, analysis);
  return generateSql(query, analysis, plan, dialectFor(options.dialect), options.alias ?? 'n');
}

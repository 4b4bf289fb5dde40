/**
 * The bridge from list options to the filter_query compiler (src/query/): the listed node kind and the
 * transaction's dialect go in; a condition on the node table aliased `n` and its bound values come out.
 */
import type { Dialect, SqlValue } from '../storage/database';
import { compileFilterQuery } from '../query';
import type { NodeKindSpec } from './node-kinds';

export interface CompiledFilter {
  /** A condition on the node table aliased `n`. */
  where: string;
  params: SqlValue[];
}

export function compileFilter(dialect: Dialect, spec: NodeKindSpec, query: string): CompiledFilter {
  return compileFilterQuery(query, { nodeKind: spec.label, dialect, alias: 'n' });
}

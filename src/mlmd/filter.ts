/**
 * The bridge from list options to the filter_query compiler (src/query/). Until the compiler lands, a non-empty
 * filter is refused with INVALID_ARGUMENT rather than silently ignored.
 */
import { invalidArgument } from '../errors';
import { Dialect, SqlValue } from '../storage/database';
import { NodeKindSpec } from './node-kinds';

export interface CompiledFilter {
  /** A condition on the node table aliased `n`. */
  where: string;
  params: SqlValue[];
}

export function compileFilter(_dialect: Dialect, _spec: NodeKindSpec, query: string): CompiledFilter {
  throw invalidArgument(`Invalid \`filter_query\`: filter_query is not supported by this server yet: ${query}`);
}

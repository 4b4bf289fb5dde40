/**
 * Every problem with a filter_query is INVALID_ARGUMENT, reported as
 * "Invalid `filter_query`: <detail> [at <line>:<column>]" with a 1-based line and column (counted in characters).
 */
import { invalidArgument, type MlmdError } from '../errors';

export const MESSAGE_PREFIX = 'Invalid `filter_query`: ';

/** Turns a character offset into a 1-based line and column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  let i = 0;
  while (i < offset && i < text.length) {
    const cp = text.codePointAt(i)!;
    if (text[i] === '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
    i += cp > 0xffff ? 2 : 1;
  }
  return { line, column };
}

export function queryError(text: string, offset: number, detail: string): MlmdError {
  const { line, column } = lineColumn(text, offset);
  return invalidArgument(`${MESSAGE_PREFIX}${detail} [at ${line}:${column}]`);
}

export function syntaxError(text: string, offset: number, detail: string): MlmdError {
  return queryError(text, offset, `Syntax error: ${detail}`);
}

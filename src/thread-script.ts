/**
 * The code a worker thread runs to load one of our modules: the module itself when running built JavaScript, or
 * the module through tsx's require hook when running from TypeScript sources. Used by every module that runs a
 * part of itself on a thread of its own (the graph worker, the SQLite readers).
 */
import * as path from 'node:path';

export function threadScript(moduleFile: string): string {
  if (path.extname(moduleFile) !== '.ts') return `require(${JSON.stringify(moduleFile)});`;
  return `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(moduleFile)});`;
}

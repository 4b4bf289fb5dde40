/**
 * A read transaction's whole body, named so that a backend can run it where its statements are cheapest: SQLite
 * runs it on a reader thread in one message (readers.ts), rather than one round trip between threads per statement.
 * The body is a function a module exports, of a Tx and a structured-cloneable input, resolving to a cloneable value.
 */
import type { Database, Tx } from './database';

export interface ReadTask {
  /** The module's file, as `require.resolve` gives it. */
  module: string;
  /** The name of the function the module exports. */
  name: string;
}

export type ReadTaskFunction = (tx: Tx, input: unknown) => Promise<unknown>;

/** The task's function, loaded by `require` (the module is loaded once; every thread loads it once). */
export function readTaskFunction(task: ReadTask): ReadTaskFunction {
  const fn = (require(task.module) as Record<string, unknown>)[task.name];
  if (typeof fn !== 'function') throw new Error(`${task.module} exports no function ${task.name}`);
  return fn as ReadTaskFunction;
}

/** Runs the task in one read transaction of `db`: where the backend runs whole reads, else on this thread. */
export function runReadTask<T>(db: Database, task: ReadTask, input: unknown): Promise<T> {
  if (db.readTask) return db.readTask(task, input) as Promise<T>;
  const fn = readTaskFunction(task);
  return db.transaction('read', (tx) => fn(tx, input)) as Promise<T>;
}

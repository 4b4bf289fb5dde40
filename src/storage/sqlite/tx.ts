/**
 * A SQLite Tx over a function that runs one statement: the same object whether the statement runs here
 * (serial-connection.ts, a reader thread's task) or is sent to a reader thread (readers.ts).
 */
import type { Row, RunResult, SqlValue, Tx } from '../database';
import { SQLITE_ADAPTER } from './adapter';

export type StatementMethod = 'all' | 'get' | 'run';

/** Runs `sql` with `params` as better-sqlite3's method of that name (`run` answers its changes only). */
export type StatementRunner = (method: StatementMethod, sql: string, params: readonly SqlValue[]) => unknown;

export function sqliteTx(runStatement: StatementRunner): Tx {
  return {
    dialect: 'sqlite',
    adapter: SQLITE_ADAPTER,
    all: async <R extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      (await runStatement('all', sql, params)) as R[],
    get: async <R extends Row>(sql: string, params: readonly SqlValue[] = []) =>
      (await runStatement('get', sql, params)) as R | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []) => (await runStatement('run', sql, params)) as RunResult,
  };
}

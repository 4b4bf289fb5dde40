/**
 * One SQLite reader thread (the pool is readers.ts): its own read-only connection to the store's file, on
 * which it runs the statements of one read transaction at a time, as the server's thread sends them.
 *
 * Protocol (in order on one port): `statement` messages run in a transaction the first one begins (deferred BEGIN:
 * one snapshot for the whole RPC) and are answered `result`; a `task` message runs a whole read body in it
 * (storage/read-task.ts: the function a module exports, on a Tx of this connection) and is answered `result` with
 * what the body returned; `end` finishes the transaction and is answered `ended`; `close` closes the connection and
 * is answered `closed`; `preload` loads a task's module ahead of its first task (unanswered). A statement past its transaction's deadline fails with the time-limit error, before it
 * starts or, for filter SQL, while it runs (deadline.ts).
 */
import BetterSqlite3 from 'better-sqlite3';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { MlmdError } from '../../errors';
import { UniqueViolation, type SqlValue } from '../database';
import { readTaskFunction, type ReadTask } from '../read-task';
import { ConnectionDeadline } from './deadline';
import { translateSqliteError } from './errors';
import { LruCache, STATEMENT_CACHE_SIZE } from '../statement-cache';
import { sqliteTx, type StatementMethod, type StatementRunner } from './tx';

export interface ReaderThreadData {
  sqliteReaderThread: true;
  path: string;
  busyTimeoutMs: number;
  /** Int32Array over it: set to 1 by the server's thread to stop the running statement (the store is closing). */
  cancelled: SharedArrayBuffer;
  /** Modules of read tasks to load at start, before the first transaction (storage/read-task.ts). */
  preload: readonly string[];
}

/** The transaction's time limit and start (Date.now() time), sent with its first statement or its task. */
export interface TimeLimit {
  ms: number;
  startedAt: number;
}

export type ToReader =
  | {
      type: 'statement';
      id: number;
      method: StatementMethod;
      sql: string;
      params: readonly SqlValue[];
      limit?: TimeLimit;
    }
  | { type: 'task'; id: number; task: ReadTask; input: unknown; limit?: TimeLimit }
  | { type: 'preload'; module: string }
  | { type: 'end' }
  | { type: 'close' };

/** An error crossing the thread boundary (structured clone keeps no classes). */
export interface WireError {
  kind: 'mlmd' | 'unique' | 'other';
  code?: number;
  message: string;
}

export type FromReader =
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: WireError }
  | { type: 'ended' }
  | { type: 'closed' }
  | { type: 'failed'; error: WireError };

export function toWireError(e: unknown): WireError {
  const t = translateSqliteError(e);
  if (t instanceof MlmdError) return { kind: 'mlmd', code: t.code, message: t.message };
  if (t instanceof UniqueViolation) return { kind: 'unique', message: t.message };
  return { kind: 'other', message: t instanceof Error ? t.message : String(t) };
}

export function fromWireError(w: WireError): Error {
  if (w.kind === 'mlmd') return new MlmdError(w.code!, w.message);
  if (w.kind === 'unique') return new UniqueViolation(w.message);
  return new Error(w.message);
}

function runThread(data: ReaderThreadData): void {
  const port = parentPort!;
  const post = (m: FromReader) => port.postMessage(m);
  let conn: BetterSqlite3.Database;
  try {
    conn = new BetterSqlite3(data.path, { readonly: true, fileMustExist: true });
    conn.defaultSafeIntegers(true);
    conn.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
  } catch (e) {
    post({ type: 'failed', error: toWireError(e) });
    port.close();
    return;
  }
  // A task module failing to load fails its tasks (their `require` throws again), not the thread.
  const preload = (module: string) => {
    try {
      require(module);
    } catch {
      /* reported by the first task that needs it */
    }
  };
  data.preload.forEach(preload);
  const deadline = new ConnectionDeadline(conn, new Int32Array(data.cancelled));
  const statements = new LruCache(STATEMENT_CACHE_SIZE, (sql) => conn.prepare(sql));
  const begin = (limit: TimeLimit | undefined) => {
    if (conn.inTransaction) return;
    if (limit) deadline.set(limit.ms, limit.startedAt);
    conn.exec('BEGIN');
  };
  const statement: StatementRunner = (method, sql, params) => {
    deadline.check();
    const stmt = statements.get(sql);
    return method === 'run' ? { changes: stmt.run(...params).changes } : stmt[method](...params);
  };
  /** A task's statements, failing as the server's thread's would (translated, so the body sees the same errors). */
  const tx = sqliteTx((method, sql, params) => {
    try {
      return statement(method, sql, params);
    } catch (e) {
      throw translateSqliteError(e);
    }
  });
  port.on('message', (m: ToReader) => {
    switch (m.type) {
      case 'statement':
        try {
          begin(m.limit);
          post({ type: 'result', id: m.id, ok: true, value: statement(m.method, m.sql, m.params) });
        } catch (e) {
          post({ type: 'result', id: m.id, ok: false, error: toWireError(e) });
        }
        break;
      case 'task':
        // The body awaits only this connection's synchronous statements, so it runs to its end before the next
        // message is read.
        new Promise((resolve) => {
          begin(m.limit);
          resolve(readTaskFunction(m.task)(tx, m.input));
        })
          .then((value) => post({ type: 'result', id: m.id, ok: true, value }))
          .catch((e: unknown) => post({ type: 'result', id: m.id, ok: false, error: toWireError(e) }));
        break;
      case 'preload':
        preload(m.module);
        break;
      case 'end':
        deadline.clear();
        if (conn.inTransaction) conn.exec('ROLLBACK'); // a read transaction has nothing to commit
        post({ type: 'ended' });
        break;
      case 'close':
        statements.clear();
        conn.close();
        post({ type: 'closed' });
        port.close();
        break;
    }
  });
}

if (!isMainThread && (workerData as Partial<ReaderThreadData> | undefined)?.sqliteReaderThread) {
  runThread(workerData as ReaderThreadData);
}

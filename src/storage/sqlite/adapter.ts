/**
 * SQLite's adapter (adapter.ts). Lists are JSON arrays expanded by json_each; RETURNING and ON CONFLICT exist;
 * write transactions are serialised by the file lock, so there is nothing to lock; a failed statement is undone on
 * its own, so no savepoint is needed; bytes are base64 text, as MLMD reads every column as text.
 */
import type { DialectAdapter } from '../adapter';
import type { SqlValue } from '../database';
import { SQLITE_DDL } from './ddl';

export const SQLITE_ADAPTER: DialectAdapter = {
  dialect: 'sqlite',
  idSet: (ids) => ({ sql: 'SELECT value FROM json_each(?)', param: `[${ids.join(',')}]` }),
  textSet: (values) => ({ sql: 'SELECT value FROM json_each(?)', param: JSON.stringify(values) }),
  bigintParam: 'CAST(? AS BIGINT)',
  supportsReturning: true,
  multiRowIdStep: undefined,
  supportsTransactionalDdl: true,
  onConflictUpdate: (key, update, extra) =>
    `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ` +
    [...update.map((c) => `${c} = excluded.${c}`), ...(extra ? [extra] : [])].join(', '),
  onConflictIgnore: (key) => `ON CONFLICT (${key.join(', ')}) DO NOTHING`,
  serializeOn: async () => undefined,
  shareLock: '',
  updateLock: '',
  primaryKeyHint: '',
  lockByIdLiterals: false,
  withSavepoint: (_tx, body) => body(),
  encodeBytes: (bytes) => Buffer.from(bytes).toString('base64'),
  decodeBytes: (stored: SqlValue) =>
    typeof stored === 'string' ? Buffer.from(stored, 'base64') : (stored as Uint8Array),
  storesNonFiniteDoubles: true,
  eventPathOrder: 'rowid',
  // INTEGER affinity holds int64 in every SQLite file, whoever created it.
  intValueBits: 64,
  inspectSchema: async () => undefined,
  ddl: SQLITE_DDL,
};

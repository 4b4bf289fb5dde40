/**
 * PostgreSQL's adapter (adapter.ts).
 *
 * Lists are array literals expanded by unnest: the planner knows an array constant's length, so a short list joins
 * through the primary key (with json_array_elements it assumed 100 rows and, on tables whose statistics lag behind,
 * hashed a full scan: single-id reads slowed as the table grew). serializeOn takes transaction-scoped advisory
 * locks (released at COMMIT/ROLLBACK) in one statement, in a fixed order. A failed statement aborts the whole
 * transaction, so statements whose failure the domain handles run under a savepoint. Bytes are raw BYTEA.
 */
import type { DialectAdapter } from '../adapter';
import type { SqlValue, Tx } from '../database';
import { EVENTPATH_ORDER_COLUMN } from '../schema';
import { POSTGRES_DDL } from './ddl';

/** A PostgreSQL array literal of strings: every element double-quoted, with `"` and `\` escaped. */
function pgTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

export class PostgresAdapter implements DialectAdapter {
  readonly dialect = 'postgres' as const;
  readonly bigintParam = 'CAST(? AS BIGINT)';
  readonly supportsReturning = true;
  readonly multiRowIdStep = undefined;
  readonly supportsTransactionalDdl = true;
  readonly storesNonFiniteDoubles = true;
  readonly eventPathOrder = EVENTPATH_ORDER_COLUMN;
  readonly ddl = POSTGRES_DDL;
  readonly shareLock = 'FOR SHARE';
  readonly updateLock = 'FOR UPDATE';
  readonly primaryKeyHint = '';
  readonly lockByIdLiterals = false;
  intValueBits: 32 | 64 = 64;

  idSet(ids: readonly bigint[]) {
    return { sql: 'SELECT unnest(CAST(? AS bigint[]))', param: `{${ids.join(',')}}` };
  }

  textSet(values: readonly string[]) {
    return { sql: 'SELECT unnest(CAST(? AS text[]))', param: pgTextArray(values) };
  }

  onConflictUpdate(key: readonly string[], update: readonly string[], extra?: string): string {
    const sets = [...update.map((c) => `${c} = excluded.${c}`), ...(extra ? [extra] : [])];
    return `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${sets.join(', ')}`;
  }

  onConflictIgnore(key: readonly string[]): string {
    return `ON CONFLICT (${key.join(', ')}) DO NOTHING`;
  }

  async serializeOn(tx: Tx, keys: readonly string[]): Promise<void> {
    await tx.all(
      'SELECT pg_advisory_xact_lock(h) AS locked FROM ' +
        '(SELECT DISTINCT hashtextextended(k, 0) AS h FROM json_array_elements_text(?::json) AS k ORDER BY h) AS s',
      [JSON.stringify(keys)],
    );
  }

  async withSavepoint<T>(tx: Tx, body: () => Promise<T>): Promise<T> {
    await tx.run('SAVEPOINT mlmd_stmt');
    try {
      const result = await body();
      await tx.run('RELEASE SAVEPOINT mlmd_stmt');
      return result;
    } catch (e) {
      await tx.run('ROLLBACK TO SAVEPOINT mlmd_stmt');
      throw e;
    }
  }

  encodeBytes(bytes: Uint8Array): SqlValue {
    return bytes;
  }

  decodeBytes(stored: SqlValue): Uint8Array {
    // Raw BYTEA; a database written through MLMD's base64 path would hold text.
    return typeof stored === 'string' ? Buffer.from(stored, 'base64') : (stored as Uint8Array);
  }

  /** int_value is INT in databases ml-metadata created; BIGINT in ours. */
  async inspectSchema(tx: Tx): Promise<void> {
    const rows = await tx.all<{ data_type: string }>(
      "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'int_value' " +
        "AND table_name IN ('artifactproperty', 'executionproperty', 'contextproperty')",
    );
    this.intValueBits = rows.some((r) => r.data_type !== 'bigint') ? 32 : 64;
  }
}

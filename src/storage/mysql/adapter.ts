/**
 * MySQL's and MariaDB's adapter (adapter.ts): SQL both MySQL 8.0 and MariaDB ≥ 10.6 accept (the README lists each
 * construct as checked against the MySQL 8.0 manual).
 *
 * - Lists are JSON arrays expanded by JSON_TABLE (MySQL 8.0.4+, MariaDB 10.6+), one bound parameter whatever their
 *   length. String lists are declared in the character set and collation of the store's string columns (read at
 *   start-up), so `name IN (…)` compares as `name = ?` does and can use the column's index: a list in another
 *   collation could fail as an illegal mix of collations or force a full scan.
 * - No RETURNING (MySQL has none): inserts read the statement's AUTO_INCREMENT id.
 * - DDL commits implicitly, so schema set-up is not transactional (bootstrap.ts holds a session lock instead).
 * - serializeOn takes GET_LOCK named locks, in one statement, in a fixed order. They belong to the session, not the
 *   transaction, so the driver releases them (RELEASE_ALL_LOCKS) once the transaction has committed or rolled back,
 *   and a connection that dies takes them with it. Lock names are hashed (MySQL allows 64 characters) and include
 *   the database, as GET_LOCK's namespace is the whole server.
 * - A failed statement is undone on its own (InnoDB's statement rollback); no savepoint is needed.
 * - proto_value holds base64 text, as upstream's MySQL source encodes bytes like SQLite's.
 * - DOUBLE cannot hold NaN or infinities.
 */
import { createHash } from 'node:crypto';
import type { DialectAdapter } from '../adapter';
import type { SqlValue, Tx } from '../database';
import { EVENTPATH_ORDER_COLUMN } from '../schema';
import { MYSQL_DDL } from './ddl';
import { LockNotGranted } from './errors';

/** The statement that takes serializeOn's locks begins so; the driver notes the connection must release them. */
export const SESSION_LOCK_SQL = 'SELECT GET_LOCK(';

/** How long a transaction waits for a serializeOn lock before it is retried (as a lock wait timeout). */
const LOCK_WAIT_SECONDS = 10;

/** VARCHAR lengths of string lists, in steps, so a few statement texts cover every list. */
const TEXT_LENGTHS = [64, 255, 1024, 4096, 16383];

export class MysqlAdapter implements DialectAdapter {
  readonly dialect = 'mysql' as const;
  readonly bigintParam = 'CAST(? AS SIGNED)';
  readonly supportsReturning = false;
  multiRowIdStep: bigint | undefined;
  readonly supportsTransactionalDdl = false;
  readonly storesNonFiniteDoubles = false;
  readonly eventPathOrder = EVENTPATH_ORDER_COLUMN;
  readonly ddl = MYSQL_DDL;
  // MariaDB's spelling (MySQL 8 takes it too).
  readonly shareLock = 'LOCK IN SHARE MODE';
  readonly updateLock = 'FOR UPDATE';
  readonly primaryKeyHint = 'FORCE INDEX (PRIMARY)';
  readonly lockByIdLiterals = true;
  intValueBits: 32 | 64 = 64;
  /** `CHARACTER SET … COLLATE …` of the store's string columns, once known. */
  private textType = '';

  /** @param database the database name, part of every lock name */
  constructor(private readonly database: string) {}

  idSet(ids: readonly bigint[]) {
    return {
      sql: `SELECT v FROM JSON_TABLE(?, '$[*]' COLUMNS (v BIGINT PATH '$')) AS ids`,
      param: `[${ids.join(',')}]`,
    };
  }

  textSet(values: readonly string[]) {
    // Lengths in bytes: each UTF-8 byte is one character on the wire (charset.ts).
    const longest = values.reduce((n, v) => Math.max(n, Buffer.byteLength(v, 'utf8')), 1);
    const length = TEXT_LENGTHS.find((l) => l >= longest);
    const type = length === undefined ? 'LONGTEXT' : `VARCHAR(${length})`;
    return {
      sql: `SELECT v FROM JSON_TABLE(?, '$[*]' COLUMNS (v ${type}${this.textType} PATH '$')) AS vals`,
      param: JSON.stringify(values),
    };
  }

  onConflictUpdate(_key: readonly string[], update: readonly string[], extra?: string): string {
    // VALUES(col) is the inserted row's value (deprecated in MySQL 8.0.20 for an alias MariaDB lacks; both accept it).
    const sets = [...update.map((c) => `${c} = VALUES(${c})`), ...(extra ? [extra] : [])];
    return `ON DUPLICATE KEY UPDATE ${sets.join(', ')}`;
  }

  onConflictIgnore(key: readonly string[]): string {
    // Not INSERT IGNORE: that also turns conversion errors into warnings.
    return `ON DUPLICATE KEY UPDATE ${key[0]} = ${key[0]}`;
  }

  lockName(key: string): string {
    return `cmf-mlmd:${createHash('sha1').update(`${this.database}\u0000${key}`).digest('hex')}`;
  }

  async serializeOn(tx: Tx, keys: readonly string[]): Promise<void> {
    const names = [...new Set(keys.map((k) => this.lockName(k)))].sort();
    const row = await tx.get(
      `${SESSION_LOCK_SQL}${names.map((_, i) => `?, ${LOCK_WAIT_SECONDS}) AS l${i}`).join(', GET_LOCK(')}`,
      names,
    );
    const refused = names.filter((_, i) => row?.[`l${i}`] !== 1n);
    if (refused.length > 0) {
      throw new LockNotGranted(`Waited ${LOCK_WAIT_SECONDS}s for a lock another transaction holds (${refused[0]})`);
    }
  }

  withSavepoint<T>(_tx: Tx, body: () => Promise<T>): Promise<T> {
    return body();
  }

  encodeBytes(bytes: Uint8Array): SqlValue {
    return Buffer.from(bytes).toString('base64');
  }

  decodeBytes(stored: SqlValue): Uint8Array {
    const text = typeof stored === 'string' ? stored : Buffer.from(stored as Uint8Array).toString('latin1');
    return Buffer.from(text, 'base64');
  }

  /** int_value's width, and the character set and collation string lists must be declared in. */
  async inspectSchema(tx: Tx): Promise<void> {
    // InnoDB gives the rows of one multi-row INSERT consecutive AUTO_INCREMENT values (auto_increment_increment
    // apart) in its "traditional" (0) and "consecutive" (1, MariaDB's default) lock modes; "interleaved" (2, MySQL
    // 8.0's default, required by Galera) promises nothing, so rows are inserted one by one there.
    const autoinc = await tx.get<{ mode: SqlValue; step: SqlValue }>(
      'SELECT @@GLOBAL.innodb_autoinc_lock_mode AS mode, @@SESSION.auto_increment_increment AS step',
    );
    this.multiRowIdStep = autoinc && Number(autoinc.mode) <= 1 ? BigInt(String(autoinc.step)) : undefined;
    const ints = await tx.all<{ t: string }>(
      "SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'int_value' " +
        "AND TABLE_NAME IN ('ArtifactProperty', 'ExecutionProperty', 'ContextProperty')",
    );
    this.intValueBits = ints.some((r) => r.t.toLowerCase() !== 'bigint') ? 32 : 64;
    const text = await tx.get<{ cs: string; co: string }>(
      'SELECT CHARACTER_SET_NAME AS cs, COLLATION_NAME AS co FROM information_schema.COLUMNS ' +
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Context' AND COLUMN_NAME = 'name'",
    );
    // Catalog names are identifiers of the server's own, never user input; checked anyway before entering SQL text.
    if (text && /^\w+$/.test(text.cs) && /^\w+$/.test(text.co)) {
      this.textType = ` CHARACTER SET ${text.cs} COLLATE ${text.co}`;
    }
  }
}

/**
 * Schema migrations between MLMD schema versions, on every dialect. Upgrades run each step v -> v+1 inside the
 * start-up transaction; downgrades run v -> v-1 and lose the data of dropped columns and tables, as MLMD's do.
 *
 * The steps are the same version facts (versions.ts) per dialect: SQLite rebuilds tables (sqlite/migration-steps.ts),
 * PostgreSQL and MySQL alter them in place (migration/alter-steps.ts). After each step the set of MLMD secondary
 * indexes is brought to exactly that version's set (`indexesAt`), so the steps only describe table changes.
 *
 * MySQL commits each DDL statement on its own (no transactional DDL): a migration interrupted there leaves the
 * database between two versions, as upstream's does; the version recorded is the last one completed.
 */
import { internal, MlmdError } from '../errors';
import type { Dialect, Tx } from './database';
import { createIndexes, dropIndexes } from './indexes';
import { alterSteps } from './migration/alter-steps';
import type { Steps } from './migration/ops';
import { MYSQL_ALTER } from './mysql/ddl';
import { POSTGRES_ALTER } from './postgres/ddl';
import { EXTRA_INDEXES, SCHEMA_VERSION } from './schema';
import { SQLITE_STEPS } from './sqlite/migration-steps';
import { ALL_UPSTREAM_INDEXES, indexesAt } from './versions';

const STEPS: Record<Dialect, Steps> = {
  sqlite: SQLITE_STEPS,
  postgres: alterSteps(POSTGRES_ALTER),
  mysql: alterSteps(MYSQL_ALTER),
};

/** The oldest schema of each dialect: MLMD's PostgreSQL support starts at schema 1. */
const OLDEST_VERSION: Record<Dialect, number> = { sqlite: 0, postgres: 1, mysql: 0 };

async function syncIndexes(tx: Tx, v: number): Promise<void> {
  const wanted = indexesAt(v);
  await dropIndexes(
    tx,
    ALL_UPSTREAM_INDEXES.filter((i) => !wanted.includes(i)),
  );
  await createIndexes(tx, wanted);
}

async function setVersion(tx: Tx, v: number): Promise<void> {
  if (v === 0) return; // v0 has no MLMDEnv (its step drops the table)
  await tx.run('DELETE FROM MLMDEnv');
  await tx.run('INSERT INTO MLMDEnv (schema_version) VALUES (?)', [v]);
}

/** Upgrades from `from` to `to` one version at a time, in the caller's transaction. */
export async function migrate(tx: Tx, from: number, to: number): Promise<void> {
  for (let v = from + 1; v <= to; v++) {
    const step = STEPS[tx.dialect][v];
    if (!step || v > SCHEMA_VERSION) throw internal(`Cannot find migration_schemes to version ${v}`);
    try {
      for (const op of step.up) await op(tx);
      await syncIndexes(tx, v);
      await setVersion(tx, v);
    } catch (e) {
      throw annotate(e, `Upgrade migration to schema version ${v} failed`);
    }
  }
}

/**
 * Downgrades from `from` to `to` one version at a time, in the caller's transaction. Our own extra indexes are
 * dropped first, so the result holds exactly what the older MLMD library would have created.
 */
export async function downgrade(tx: Tx, from: number, to: number): Promise<void> {
  if (to >= from) return;
  if (to < OLDEST_VERSION[tx.dialect]) throw internal(`Cannot find migration_schemes to version ${to}`);
  await dropIndexes(tx, EXTRA_INDEXES);
  for (let v = from; v > to; v--) {
    const step = STEPS[tx.dialect][v];
    if (!step) throw internal(`Cannot find migration_schemes to downgrade from version ${v}`);
    try {
      for (const op of step.down) await op(tx);
      await syncIndexes(tx, v - 1);
      await setVersion(tx, v - 1);
    } catch (e) {
      throw annotate(e, `Downgrade migration from schema version ${v} failed`);
    }
  }
}

/** Keeps an MlmdError's code (ABORTED stays retriable); any other failure becomes INTERNAL. */
function annotate(e: unknown, context: string): Error {
  if (e instanceof MlmdError) return new MlmdError(e.code, `${context}: ${e.message}`);
  return internal(`${context}: ${e instanceof Error ? e.message : String(e)}`);
}

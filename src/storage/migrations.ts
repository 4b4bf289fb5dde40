/**
 * Schema migrations between MLMD schema versions (SQLite). Upgrades run each step v -> v+1 inside the start-up
 * transaction; downgrades run v -> v-1 and lose the data of dropped columns and tables, as MLMD's do.
 */
import { internal } from '../errors';
import { Tx } from './database';

export async function migrate(_tx: Tx, from: number, to: number): Promise<void> {
  throw internal(`Cannot find migration_schemes to version ${from + 1} (upgrading ${from} -> ${to})`);
}

export async function downgrade(_tx: Tx, from: number, to: number): Promise<void> {
  throw internal(`Cannot find migration_schemes to downgrade ${from} -> ${to}`);
}

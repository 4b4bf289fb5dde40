/**
 * Opening the planned backend at start-up, with upstream's retry rule: store creation is retried (without delay)
 * while it answers ABORTED, which is what a concurrently initialising database reports.
 */
import { Code, MlmdError } from '../errors';
import type { Database, StorageObserver } from '../storage/database';
import { openDatabase } from '../storage/open';
import type { Backend, Migration } from './config';

export async function openStore(
  backend: Backend,
  migration: Migration,
  retries: number,
  observer?: StorageObserver,
): Promise<Database> {
  const options = {
    enableUpgradeMigration: migration.enableUpgradeMigration,
    downgradeToSchemaVersion: migration.downgradeToSchemaVersion,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      return await openDatabase({ ...backend }, options, observer);
    } catch (e) {
      if (!(e instanceof MlmdError && e.code === Code.ABORTED) || attempt >= retries) throw e;
    }
  }
}

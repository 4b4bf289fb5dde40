/**
 * Which backend the integration suites run on: SQLite (default) or PostgreSQL with MLMD_TEST_BACKEND=postgres.
 *
 * PostgreSQL connection: MLMD_TEST_PG_HOST / _PORT / _USER / _PASSWORD (scripts/pg-cluster.sh prints them). Each
 * store is a fresh database (created by the server's own CREATE DATABASE path) that is dropped afterwards.
 * When the backend is postgres and no server is reachable, opening fails: the suite fails, it never skips.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

import type { PostgreSQLDatabaseConfig } from '../../generated/ml_metadata/proto/metadata_store';
import type { Database } from '../../src/storage/database';
import { openDatabase, type BackendConfig } from '../../src/storage/open';
import { clientConfig } from '../../src/storage/postgres';

export type TestBackend = 'sqlite' | 'postgres';

export const TEST_BACKEND: TestBackend = process.env.MLMD_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** The test cluster's connection settings for database `dbname`. */
export function pgTestConfig(dbname: string): PostgreSQLDatabaseConfig {
  const host = process.env.MLMD_TEST_PG_HOST;
  if (!host)
    throw new Error(
      'MLMD_TEST_BACKEND=postgres needs MLMD_TEST_PG_HOST/PORT/USER/PASSWORD (scripts/pg-cluster.sh start DIR)',
    );
  return {
    host,
    port: process.env.MLMD_TEST_PG_PORT ?? '5432',
    user: process.env.MLMD_TEST_PG_USER ?? 'postgres',
    password: process.env.MLMD_TEST_PG_PASSWORD ?? '',
    dbname,
  };
}

let counter = 0;
/** A database name no other test process uses. */
export function uniqueDbName(prefix = 'mlmd_test'): string {
  counter += 1;
  return `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops a test database (connections still open to it are terminated). */
export async function dropPgDatabase(dbname: string): Promise<void> {
  const admin = new Client(clientConfig(pgTestConfig('postgres')));
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${dbname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface TestStore {
  db: Database;
  config: BackendConfig;
  /** The SQLite file, or the PostgreSQL database name. */
  location: string;
  /** Removes the store (after `db.close()`). */
  remove(): Promise<void>;
}

/** Backend options a test may set (the same on every backend). */
export interface TestStoreOptions {
  readTimeLimitMs?: number;
}

/**
 * Opens a fresh store on the test backend. `sqlitePath` is where a SQLite store goes (its directory must exist);
 * on PostgreSQL a new database is created instead.
 */
export async function openTestStore(sqlitePath?: string, options: TestStoreOptions = {}): Promise<TestStore> {
  if (TEST_BACKEND === 'postgres') {
    const dbname = uniqueDbName();
    const config: BackendConfig = { kind: 'postgresql', config: pgTestConfig(dbname), ...options };
    const db = await openDatabase(config);
    return { db, config, location: dbname, remove: () => dropPgDatabase(dbname) };
  }
  let dir: string | undefined;
  if (!sqlitePath) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlmd-store-'));
    sqlitePath = path.join(dir, 'mlmd.sqlite');
  }
  const config: BackendConfig = { kind: 'sqlite', filenameUri: sqlitePath, ...options };
  const db = await openDatabase(config);
  return {
    db,
    config,
    location: sqlitePath,
    remove: async () => {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

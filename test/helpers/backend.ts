/**
 * Which backend the integration suites run on: SQLite (default), PostgreSQL with MLMD_TEST_BACKEND=postgres, or
 * MySQL/MariaDB with MLMD_TEST_BACKEND=mysql.
 *
 * PostgreSQL connection: MLMD_TEST_PG_HOST / _PORT / _USER / _PASSWORD (scripts/pg-cluster.sh prints them); MySQL:
 * MLMD_TEST_MYSQL_HOST / _PORT / _USER / _PASSWORD (scripts/mariadb-cluster.sh). Each store is a fresh database
 * (created by the server's own CREATE DATABASE path) that is dropped afterwards. When the backend's server is not
 * reachable, opening fails: the suite fails, it never skips.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';

import type { MySQLDatabaseConfig, PostgreSQLDatabaseConfig } from '../../generated/ml_metadata/proto/metadata_store';
import type { Clock, Database } from '../../src/storage/database';
import { withClock } from '../../src/storage/sql';
import { openDatabase, type BackendConfig } from '../../src/storage/open';
import { connectionOptions } from '../../src/storage/mysql/config';
import { quoteIdentifier } from '../../src/storage/mysql/create-database';
import { clientConfig } from '../../src/storage/postgres/config';

export type TestBackend = 'sqlite' | 'postgres' | 'mysql';

const BACKENDS: readonly TestBackend[] = ['sqlite', 'postgres', 'mysql'];
export const TEST_BACKEND: TestBackend = BACKENDS.find((b) => b === process.env.MLMD_TEST_BACKEND) ?? 'sqlite';

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

/** The test MySQL/MariaDB server's connection settings for database `database`. */
export function mysqlTestConfig(database: string): MySQLDatabaseConfig {
  const host = process.env.MLMD_TEST_MYSQL_HOST;
  if (!host)
    throw new Error(
      'MLMD_TEST_BACKEND=mysql needs MLMD_TEST_MYSQL_HOST/PORT/USER/PASSWORD (scripts/mariadb-cluster.sh start DIR)',
    );
  return {
    host,
    port: BigInt(process.env.MLMD_TEST_MYSQL_PORT ?? '3306'),
    user: process.env.MLMD_TEST_MYSQL_USER ?? 'root',
    password: process.env.MLMD_TEST_MYSQL_PASSWORD ?? '',
    database,
  };
}

/** Drops a MySQL test database. */
export async function dropMysqlDatabase(database: string): Promise<void> {
  const conn = await createConnection(connectionOptions(mysqlTestConfig(database), ''));
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)}`);
  } finally {
    await conn.end();
  }
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
  /** The SQLite file, or the PostgreSQL / MySQL database name. */
  location: string;
  /** Removes the store (after `db.close()`). */
  remove(): Promise<void>;
}

/** Backend options a test may set (the same on every backend). */
export interface TestStoreOptions {
  readTimeLimitMs?: number;
  /** The clock of the stored timestamps (helpers/clock.ts), instead of the system's. */
  clock?: Clock;
}

/**
 * Opens a fresh store on the test backend. `sqlitePath` is where a SQLite store goes (its directory must exist);
 * on PostgreSQL a new database is created instead.
 */
export async function openTestStore(sqlitePath?: string, options: TestStoreOptions = {}): Promise<TestStore> {
  const { clock, ...backendOptions } = options;
  const store = await openBackendStore(sqlitePath, backendOptions);
  return clock ? { ...store, db: withClock(store.db, clock) } : store;
}

async function openBackendStore(sqlitePath: string | undefined, options: TestStoreOptions): Promise<TestStore> {
  if (TEST_BACKEND === 'postgres') {
    const dbname = uniqueDbName();
    const config: BackendConfig = { kind: 'postgresql', config: pgTestConfig(dbname), ...options };
    const db = await openDatabase(config);
    return { db, config, location: dbname, remove: () => dropPgDatabase(dbname) };
  }
  if (TEST_BACKEND === 'mysql') {
    const database = uniqueDbName();
    const config: BackendConfig = { kind: 'mysql', config: mysqlTestConfig(database), ...options };
    const db = await openDatabase(config);
    return { db, config, location: database, remove: () => dropMysqlDatabase(database) };
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

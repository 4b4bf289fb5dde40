/**
 * The server binary: `cmf-mlmd [flags]`, a drop-in for ml-metadata's metadata_store_server.
 *
 * Exit codes: 0 after a signal-driven shutdown or a successful downgrade; 1 for a configuration that cannot be
 * served or a store that cannot be opened; 2 for a command-line mistake.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Code, MlmdError } from '../errors';
import { createCmfApi } from '../cmf/api';
import { createMlmdApi } from '../mlmd/store';
import { cmfServiceRegistration } from '../server/cmf-service';
import { startServer, type ServerHandle } from '../server/server';
import { TlsConfigError } from '../server/tls';
import { uiFiles } from '../server/ui-files';
import { buildServerPlan, ConfigError, type Backend, type ServerPlan } from './config';
import { type Flags, parseFlags, usage, UsageError } from './flags';
import { runResync, startGraphIfConfigured } from './graph';
import { openStore } from './open-store';
import { describeServer } from '../storage/mysql/config';
import { unknownBackend } from '../storage/open';
import { startCmfServerHttp } from './cmf-server';

const log = (line: string): void => void process.stderr.write(`cmf-mlmd: ${line}\n`);

function describeBackend(b: Backend): string {
  switch (b.kind) {
    case 'postgresql':
      return `postgresql ${b.config.host ?? b.config.hostaddr}/${b.config.dbname}`;
    case 'mysql':
      return `mysql ${describeServer(b.config)}`;
    case 'sqlite':
      return b.filenameUri === ':memory:'
        ? 'sqlite in-memory (lives as long as the process)'
        : `sqlite ${b.filenameUri}`;
    default:
      return unknownBackend(b);
  }
}

/** Upstream's downgrade is a one-shot tool: migrate down, then stop. The store reports success as CANCELLED. */
async function runDowngrade(plan: ServerPlan): Promise<number> {
  try {
    const db = await openStore(plan.backend, plan.migration, plan.connectionRetries);
    await db.close();
  } catch (e) {
    if (!(e instanceof MlmdError && e.code === Code.CANCELLED)) throw e;
    log(e.message);
  }
  log(`downgrade to schema version ${plan.migration.downgradeToSchemaVersion} done; exiting`);
  return 0;
}

/** The package root (the folder of package.json), from src/cli or a compiled copy of it. */
function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

async function serve(plan: ServerPlan, flags: Flags): Promise<ServerHandle> {
  const db = await openStore(plan.backend, plan.migration, plan.connectionRetries);
  // The Neo4j projection (off unless --neo4j_uri / NEO4J_URI): the domains get a store whose writes feed its outbox.
  let graph: Awaited<ReturnType<typeof startGraphIfConfigured>>;
  try {
    graph = await startGraphIfConfigured(flags, db, plan.backend, log);
  } catch (e) {
    await db.close();
    throw e;
  }
  const store = graph?.db ?? db;
  const ui = plan.httpPort === undefined ? undefined : uiFiles(path.join(packageRoot(), 'dist', 'ui'));
  if (ui && !ui.built) log('warning: the web UI is not built (dist/ui); run `npm install` or `npm run build:ui`');
  try {
    const cmfApi = createCmfApi(store);
    const onHttpError = (route: string, e: unknown) => log(`${route}: ${(e as Error).stack ?? e}`);
    const cmfServer =
      plan.httpPort === undefined
        ? undefined
        : await startCmfServerHttp(store, cmfApi, plan, (e) => onHttpError('cmf-server', e));
    const handle = await startServer({
      api: createMlmdApi(store),
      extraServices: [cmfServiceRegistration(cmfApi)],
      extraHealth: graph ? [graph.health] : [],
      host: plan.host,
      port: plan.port,
      tls: plan.tls,
      channelOptions: plan.channelOptions,
      maxMessageBytes: plan.maxMessageBytes,
      http:
        plan.httpPort === undefined
          ? undefined
          : {
              port: plan.httpPort,
              // The cmf-server API claims /api/... (and its POST aliases) before the UI's files.
              routes: [...(cmfServer ? [cmfServer.route] : []), ui!.route],
              corsAllowedOrigins: plan.corsAllowedOrigins,
              onError: onHttpError,
            },
      onShutdown: async () => {
        await graph?.stop();
        await db.close();
      },
    });
    if (handle.httpPort !== undefined) cmfServer?.setHttpPort(handle.httpPort);
    return handle;
  } catch (e) {
    await graph?.stop();
    await db.close();
    throw e;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let plan: ServerPlan;
  let flags: Flags;
  try {
    flags = parseFlags(argv);
    if (flags.help) {
      process.stdout.write(`${usage()}\n`);
      return 0;
    }
    plan = buildServerPlan(flags);
  } catch (e) {
    if (e instanceof UsageError) {
      log(e.message);
      process.stderr.write(`${usage()}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      log(e.message);
      return 1;
    }
    throw e;
  }
  for (const w of plan.warnings) log(`warning: ${w}`);

  let handle: ServerHandle;
  try {
    if (plan.migration.downgradeToSchemaVersion >= 0) return await runDowngrade(plan);
    if (flags.neo4j_resync) {
      const db = await openStore(plan.backend, plan.migration, plan.connectionRetries);
      try {
        return await runResync(flags, db, log);
      } finally {
        await db.close();
      }
    }
    handle = await serve(plan, flags);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof TlsConfigError || e instanceof MlmdError) {
      log(e instanceof MlmdError ? `cannot open the metadata store: ${e.message}` : e.message);
      return 1;
    }
    log(`cannot start: ${(e as Error).message}`);
    return 1;
  }
  const http = handle.httpPort === undefined ? 'no HTTP listener' : `HTTP on ${plan.host}:${handle.httpPort}`;
  log(
    `listening on ${plan.host}:${handle.port} (${plan.tls ? 'TLS' : 'plaintext'}, ${describeBackend(plan.backend)}); ${http}`,
  );

  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        // A second signal while draining: the operator does not want to wait.
        log(`${signal} again; exiting without waiting`);
        process.exit(1);
      }
      signalled = true;
      log(`${signal}: shutting down`);
      handle.shutdown().then(
        () => resolve(0),
        (e: unknown) => {
          log(`shutdown failed: ${(e as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      log(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}

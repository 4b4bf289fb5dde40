/**
 * The package as a user gets it: `npm pack`, installed from the tarball into an empty directory, the server started
 * with `npx cmf-mlmd` and called over gRPC, stopped by signalling npx; and a TypeScript project of its own that
 * imports `cmf-mlmd/client`, type-checks against the package's declarations and calls the server, with the server's
 * modules (database drivers, logger, metrics) forbidden from loading.
 *
 * Installs use the npm cache first (--prefer-offline). better-sqlite3 is given a local prebuild (prebuild-install's
 * documented offline mechanism) made from the repository's own compiled module, pinned to its version, so the
 * install does not compile SQLite again (minutes on two cores); its install script still runs as for any user.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlmdClient } from '../../src/client';
import { freePort } from '../helpers/net';
import {
  ensureBuilt,
  inspectSqlite,
  isAlive,
  launch,
  logLines,
  portFree,
  processTree,
  ROOT,
} from '../helpers/processes';
import { waitFor } from '../helpers/wait';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-package-'));
const FORBID = path.join(__dirname, 'forbid-server-modules.js');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const started = new Set<number>();
let tarball: string;

const versionOf = (pkg: string): string =>
  (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

function npmInstall(dir: string, extraArgs: string[], env?: NodeJS.ProcessEnv): void {
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...extraArgs], dir, env);
}

before(() => {
  ensureBuilt();
  // The build is fresh (ensureBuilt), so packing need not run `prepare` again.
  const out = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
  tarball = path.join(tmp, (JSON.parse(out) as Array<{ filename: string }>)[0].filename);
});

after(() => {
  for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

// The two installs are independent (own directories and ports): they run side by side.
describe('the packed package', { concurrency: true }, () => {
  test('the tarball holds the built server, its declarations and run-time files, and no sources', () => {
    const files = sh('tar', ['tzf', tarball], tmp).split('\n');
    for (const f of [
      'package/dist/src/cli/main.js',
      'package/dist/src/client/index.js',
      'package/dist/src/client/index.d.ts',
      'package/proto/ml_metadata/proto/metadata_store_service.proto',
      'package/generated/descriptor-set.binpb',
      'package/package.json',
    ])
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    assert.ok(
      !files.some(
        (f) =>
          f.startsWith('package/src/') || f.startsWith('package/test/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
      ),
    );
  });

  test('installed in an empty directory: npx cmf-mlmd serves gRPC and stops cleanly when npx is signalled', async () => {
    const app = path.join(tmp, 'app');
    const prebuilds = path.join(tmp, 'prebuilds');
    fs.mkdirSync(app);
    fs.mkdirSync(prebuilds);
    const sqliteVersion = versionOf('better-sqlite3');
    sh(
      'tar',
      [
        '-czf',
        path.join(prebuilds, `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-linux-x64.tar.gz`),
        '-C',
        path.join(ROOT, 'node_modules', 'better-sqlite3'),
        'build/Release/better_sqlite3.node',
      ],
      tmp,
    );
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'cmf-mlmd-app',
        private: true,
        version: '1.0.0',
        dependencies: { 'cmf-mlmd': `file:${tarball}` },
        overrides: { 'better-sqlite3': sqliteVersion },
        allowScripts: { 'better-sqlite3': true },
      }),
    );
    npmInstall(app, [], { ...process.env, npm_config_better_sqlite3_local_prebuilds: prebuilds });
    assert.ok(
      fs.existsSync(path.join(app, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
    );
    // No TypeScript runner in a production install.
    assert.ok(!fs.existsSync(path.join(app, 'node_modules', 'tsx')), 'tsx was installed as a run-time dependency');

    assert.match(sh('npx', ['cmf-mlmd', '--version'], app), /^cmf-mlmd \d+\.\d+\.\d+/);

    const db = path.join(app, 'served.db');
    const port = await freePort();
    const npx = launch('npx', ['cmf-mlmd', `--db=${db}`, `--grpc_port=${port}`, '--http_port=-1'], {
      cwd: app,
      detached: true,
    });
    started.add(npx.child.pid!);
    const line = await npx.started(120_000);
    const tree = processTree(npx.child.pid!);
    for (const pid of tree) started.add(pid);
    assert.deepEqual((line.config as { backend: unknown }).backend, {
      kind: 'sqlite',
      file: db,
      mode: 'readwrite_opencreate',
    });

    const client = new MlmdClient(`127.0.0.1:${port}`);
    try {
      const { typeId } = await client.putArtifactType({ artifactType: { name: 'from-the-package' } });
      assert.ok(typeId! > 0n);
    } finally {
      client.close();
    }

    // npx runs the bin through a forking `sh -c`: the signal stops npx and the shell, and the orphaned server
    // notices and shuts down gracefully.
    process.kill(npx.child.pid!, 'SIGTERM');
    await waitFor('every process of the npx tree to exit', () => tree.every((pid) => !isAlive(pid)), 30_000);
    await npx.exited; // the output is complete
    assert.ok(await portFree(port));
    const file = inspectSqlite(db, "SELECT COUNT(*) FROM Type WHERE name = 'from-the-package'");
    assert.deepEqual(file.leftovers, []);
    assert.equal(file.count, 1);
    assert.ok(
      logLines(npx.output()).some((l) => l.msg.startsWith('stopped:')),
      npx.output(),
    );
  });

  test('a TypeScript project imports cmf-mlmd/client, type-checks, and calls the server without its modules', async () => {
    const project = path.join(tmp, 'sdk-consumer');
    fs.cpSync(path.join(__dirname, 'consumer'), project, { recursive: true });
    fs.writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'sdk-consumer',
        private: true,
        version: '1.0.0',
        type: 'commonjs',
        dependencies: { 'cmf-mlmd': `file:${tarball}` },
        devDependencies: { '@types/node': versionOf('@types/node') },
      }),
    );
    // No install scripts: an SDK user needs no native module built.
    npmInstall(project, ['--ignore-scripts']);
    sh(process.execPath, [TSC, '-p', '.'], project);

    const db = path.join(tmp, 'sdk.db');
    const port = await freePort();
    const server = launch(process.execPath, [
      path.join(ROOT, 'dist', 'src', 'cli', 'main.js'),
      `--db=${db}`,
      `--grpc_port=${port}`,
      '--http_port=-1',
    ]);
    started.add(server.child.pid!);
    try {
      await server.started();
      const out = sh(
        process.execPath,
        ['--require', FORBID, path.join(project, 'out', 'main.js'), `127.0.0.1:${port}`],
        project,
      );
      const result = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
      assert.deepEqual(result, {
        typeId: result.typeId,
        uri: 'file:///data/train.csv',
        missing: 'NOT_FOUND',
        names: [],
        serverModules: [],
      });
      assert.match(String(result.typeId), /^\d+$/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});

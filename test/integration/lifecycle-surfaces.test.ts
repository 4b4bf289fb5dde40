/**
 * Every way into the lifecycle domain, against the real server binary (src/cli/main.ts) on a SQLite file: gRPC,
 * gRPC-Web and the HTTP route on the HTTP listener, reflection, and the `cmf-mlmd delete` subcommand. The rules
 * themselves are tested on every backend by mlmd-lifecycle.test.ts; here each surface must reach them and report
 * their failures with the right status.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';

import { DeleteRequest, DeleteResponse, LifecycleServiceClient } from '../../generated/cmf_mlmd/v1/lifecycle';
import { Event_Type } from '../../generated/ml_metadata/proto/metadata_store';
import { MlmdClient } from '../../src/client';
import {
  CLI_PATH,
  freePort,
  makeTempDir,
  REPO_ROOT,
  startServer,
  writeSqliteConfig,
  type RunningServer,
} from '../compat/server-harness';
import { reflect } from '../helpers/grpc-probes';
import { frame, grpcWebPost } from '../helpers/grpc-web';

const run = promisify(execFile);

describe('lifecycle surfaces (gRPC, gRPC-Web, HTTP, reflection, CLI)', () => {
  let dir: string;
  let dbFile: string;
  let server: RunningServer;
  let httpBase: string;
  let mlmd: MlmdClient;
  let lifecycle: LifecycleServiceClient;
  // a0 -> e1 -> a1 -> e2 -> a2
  let a0: bigint, a1: bigint, a2: bigint, e1: bigint, e2: bigint;

  before(async () => {
    dir = makeTempDir('lifecycle-surfaces-');
    dbFile = path.join(dir, 'mlmd.db');
    const httpPort = await freePort();
    server = await startServer({ dbFile, dir, extraArgs: [`--http_port=${httpPort}`] });
    httpBase = `http://127.0.0.1:${httpPort}`;
    mlmd = new MlmdClient(server.address, { deadlineMs: 30_000 });
    lifecycle = new LifecycleServiceClient(server.address, grpc.credentials.createInsecure());
    const { typeId: at } = await mlmd.putArtifactType({ artifactType: { name: 'D' } });
    const { typeId: et } = await mlmd.putExecutionType({ executionType: { name: 'S' } });
    [a0, a1, a2] = (
      await mlmd.putArtifacts({ artifacts: [0, 1, 2].map((i) => ({ typeId: at, uri: `u${i}` })) })
    ).artifactIds;
    [e1, e2] = (await mlmd.putExecutions({ executions: [{ typeId: et }, { typeId: et }] })).executionIds;
    await mlmd.putEvents({
      events: [
        { artifactId: a0, executionId: e1, type: Event_Type.INPUT },
        { artifactId: a1, executionId: e1, type: Event_Type.OUTPUT },
        { artifactId: a1, executionId: e2, type: Event_Type.INPUT },
        { artifactId: a2, executionId: e2, type: Event_Type.OUTPUT },
      ],
    });
  });

  after(async () => {
    lifecycle?.close();
    mlmd?.close();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reflection lists cmf_mlmd.v1.LifecycleService', async () => {
    const r = await reflect(server.address, { list_services: '' });
    const names = r.list_services_response!.service.map((s) => s.name);
    assert.ok(names.includes('cmf_mlmd.v1.LifecycleService'), names.join(', '));
  });

  it('gRPC: a blocker under RESTRICT is FAILED_PRECONDITION naming it', async () => {
    const call = promisify(lifecycle.delete.bind(lifecycle)) as (r: DeleteRequest) => Promise<DeleteResponse>;
    await assert.rejects(call({ selection: { artifactIds: [a1] } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.FAILED_PRECONDITION);
      assert.match(
        e.details,
        new RegExp(`artifacts consumed by kept executions \\(artifact→execution\\): ${a1}→${e2}`),
      );
      return true;
    });
  });

  it('gRPC-Web: the same method, the same answer', async () => {
    const request = DeleteRequest.encode({ selection: { artifactIds: [a1] }, mode: 1, dryRun: true }).finish();
    const web = await grpcWebPost(httpBase, '/cmf_mlmd.v1.LifecycleService/Delete', frame(request));
    assert.equal(web.code, grpc.status.OK, web.details);
    const response = DeleteResponse.decode(web.message!);
    assert.deepEqual(response.deleted?.executions?.ids, [e2]);
    assert.deepEqual(response.deleted?.artifacts?.ids, [a1, a2]);
    assert.deepEqual(response.cascaded?.executions?.ids, [e2]);
    const refused = await grpcWebPost(
      httpBase,
      '/cmf_mlmd.v1.LifecycleService/Delete',
      frame(DeleteRequest.encode({ selection: { artifactIds: [a1] } }).finish()),
    );
    assert.equal(refused.code, grpc.status.FAILED_PRECONDITION);
  });

  it('HTTP route: JSON in and out, statuses from the one table', async () => {
    const post = (body: string) =>
      fetch(`${httpBase}/api/lifecycle/delete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const blocked = await post(JSON.stringify({ selection: { artifactIds: [String(a1)] } }));
    assert.equal(blocked.status, 400);
    assert.match(((await blocked.json()) as { error: string }).error, /mode RESTRICT: 1 blocker/);
    const bad = await post('{not json');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /not a DeleteRequest/);
    const missing = await post(JSON.stringify({ selection: { executionIds: ['999999'] } }));
    assert.equal(missing.status, 404);
    assert.equal((await fetch(`${httpBase}/api/lifecycle/delete`)).status, 405);
    const dry = await post(
      JSON.stringify({ selection: { artifactIds: [String(a1)] }, mode: 'DELETE_MODE_CASCADE', dryRun: true }),
    );
    assert.equal(dry.status, 200);
    const json = (await dry.json()) as { deleted: { executions: { count: string; ids: string[] } } };
    assert.deepEqual(json.deleted.executions, { count: '1', ids: [String(e2)] });
    const list = await fetch(`${httpBase}/api/lifecycle/deletions?page_size=5`);
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), { nextPageToken: '' }, 'no deletion yet (proto3 JSON leaves empty lists out)');
    assert.equal((await fetch(`${httpBase}/api/lifecycle/deletions?page_size=x`)).status, 400);
  });

  it('cmf-mlmd delete: --dry-run prints the plan, RESTRICT refuses with exit 1, a real run deletes', async () => {
    const cfg = writeSqliteConfig(dir, dbFile);
    const cli = async (...args: string[]) => {
      try {
        const { stdout, stderr } = await run(
          process.execPath,
          ['--import', 'tsx', CLI_PATH, 'delete', `--metadata_store_server_config_file=${cfg}`, ...args],
          { cwd: REPO_ROOT, timeout: 60_000 },
        );
        return { code: 0, stdout, stderr };
      } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code, stdout: err.stdout, stderr: err.stderr };
      }
    };
    const usage = await cli('--no_such_flag');
    assert.equal(usage.code, 2, usage.stderr);
    const dry = await cli(`--execution_ids=${e2}`, '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    const planned = DeleteResponse.fromJSON(JSON.parse(dry.stdout));
    assert.equal(planned.dryRun, true);
    assert.deepEqual(planned.deleted?.artifacts?.ids, [a2]);
    const refused = await cli(`--artifact_ids=${a0}`);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /delete refused: mode RESTRICT: 1 blocker/);
    const done = await cli(`--execution_ids=${e2}`);
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual({ ...DeleteResponse.fromJSON(JSON.parse(done.stdout)), dryRun: true, deletionId: 0n }, planned);
    assert.deepEqual((await mlmd.getExecutionsById({ executionIds: [e2] })).executions, []);
    // The server lists the CLI's deletion in the audit trail.
    const list = (await (await fetch(`${httpBase}/api/lifecycle/deletions`)).json()) as {
      deletions: Array<{ executions: string; principal: string }>;
    };
    assert.equal(list.deletions.length, 1);
    assert.equal(list.deletions[0].executions, '1');
    assert.equal(list.deletions[0].principal, 'anonymous');
  });
});

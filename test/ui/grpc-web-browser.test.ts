/**
 * Kubeflow's gRPC-Web client library against our server, in a real browser page served from another origin (so the
 * browser enforces CORS: the server runs with --cors_allowed_origins naming the page's origin): every read RPC the
 * KFP UI and its server call (looked up in kubeflow/pipelines' frontend), in text mode (application/grpc-web-text,
 * base64) and binary mode (application/grpc-web+proto), must answer exactly what native gRPC answers, byte for byte;
 * errors must arrive with the same code and message; a page from an origin that is not allowed gets nothing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as esbuild from 'esbuild';
import * as grpc from '@grpc/grpc-js';
import type { Page } from 'playwright-core';
import * as svc from '../../generated/ml_metadata/proto/metadata_store_service';
import { BROWSER_BUNDLE } from '../../scripts/build-ui';
import { CmfClient, MlmdClient } from '../../src/client';
import { rawUnaryCall } from '../helpers/grpc-probes';
import type { CallResult } from './grpc-web-page';
import {
  launchBrowser,
  exitUnlessRunnable,
  screenshotDir,
  startUiServer,
  type Browser,
  type UiServer,
} from './harness';
import { logCmfPipeline, logKfpWorkload, type KfpIds } from './workloads';

exitUnlessRunnable();

const MLMD = '/ml_metadata.MetadataStoreService';

/** A static page server on its own origin: the page and its script bundle. */
async function servePage(script: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>loading</title><script type="module" src="/page.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("Kubeflow's grpc-web client in a browser against our server", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-mlmd-grpc-web-'));
  let pageServer: Awaited<ReturnType<typeof servePage>>;
  let foreignServer: Awaited<ReturnType<typeof servePage>>;
  let server: UiServer;
  let native: grpc.Client;
  let browser: Browser;
  let page: Page;
  let kfp: KfpIds;
  let artifactTypeIds: bigint[];
  let executionTypeIds: bigint[];

  before(async () => {
    const bundle = await esbuild.build({
      ...BROWSER_BUNDLE,
      entryPoints: [path.join(__dirname, 'grpc-web-page.ts')],
      write: false,
    });
    const script = bundle.outputFiles[0].text;
    pageServer = await servePage(script);
    foreignServer = await servePage(script);
    server = await startUiServer({
      dbFile: path.join(dir, 'mlmd.db'),
      dir,
      extraArgs: [`--cors_allowed_origins=${pageServer.origin}`],
    });
    const mlmd = new MlmdClient(server.grpc);
    const cmf = new CmfClient(server.grpc);
    await logCmfPipeline(cmf, dir);
    kfp = await logKfpWorkload(mlmd);
    artifactTypeIds = (await mlmd.getArtifactTypes({})).artifactTypes.map((t) => t.id!);
    executionTypeIds = (await mlmd.getExecutionTypes({})).executionTypes.map((t) => t.id!);
    mlmd.close();
    cmf.close();
    native = new grpc.Client(server.grpc, grpc.credentials.createInsecure());
    browser = await launchBrowser();
    page = await browser.newPage();
    await page.goto(pageServer.origin);
    await page.waitForFunction(() => document.title === 'grpc-web page ready');
  });
  after(async () => {
    native?.close();
    await browser?.close();
    await server?.stop();
    await pageServer?.close();
    await foreignServer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function inBrowser(p: Page, format: 'text' | 'binary', method: string, request: Uint8Array): Promise<CallResult> {
    return p.evaluate(
      ([host, f, m, r]) =>
        (window as unknown as { grpcWebCall: (...a: string[]) => Promise<CallResult> }).grpcWebCall(host, f, m, r),
      [server.http, format, `${MLMD}/${method}`, Buffer.from(request).toString('base64')],
    );
  }

  /** The read RPCs of the KFP UI (frontend/src/mlmd, frontend/src/lib) and its server (mlmd-validator), with requests. */
  function kfpReads(): [string, Uint8Array][] {
    const run = kfp.runContexts[0];
    return [
      ['GetArtifactTypes', svc.GetArtifactTypesRequest.encode({}).finish()],
      ['GetExecutionTypes', svc.GetExecutionTypesRequest.encode({}).finish()],
      [
        'GetArtifactTypesByID',
        svc.GetArtifactTypesByIDRequest.encode({ typeIds: [...artifactTypeIds.slice(0, 3), 999n] }).finish(),
      ],
      [
        'GetExecutionTypesByID',
        svc.GetExecutionTypesByIDRequest.encode({ typeIds: [...executionTypeIds, 999n] }).finish(),
      ],
      ['GetContextType', svc.GetContextTypeRequest.encode({ typeName: 'system.PipelineRun' }).finish()],
      [
        'GetContextByTypeAndName',
        svc.GetContextByTypeAndNameRequest.encode({ typeName: 'system.PipelineRun', contextName: 'run-03' }).finish(),
      ],
      [
        'GetArtifacts',
        svc.GetArtifactsRequest.encode({ options: { maxResultSize: 7, orderByField: { field: 1 } } }).finish(),
      ],
      [
        'GetExecutions',
        svc.GetExecutionsRequest.encode({
          options: { filterQuery: "custom_properties.task_name.string_value = 'train'" },
        }).finish(),
      ],
      [
        'GetArtifactsByID',
        svc.GetArtifactsByIDRequest.encode({ artifactIds: [...kfp.models, ...kfp.metrics] }).finish(),
      ],
      [
        'GetExecutionsByID',
        svc.GetExecutionsByIDRequest.encode({ executionIds: [kfp.trainExecution, 1n, 2n] }).finish(),
      ],
      ['GetArtifactsByContext', svc.GetArtifactsByContextRequest.encode({ contextId: run }).finish()],
      ['GetExecutionsByContext', svc.GetExecutionsByContextRequest.encode({ contextId: run }).finish()],
      [
        'GetContextsByExecution',
        svc.GetContextsByExecutionRequest.encode({ executionId: kfp.trainExecution }).finish(),
      ],
      ['GetContextsByArtifact', svc.GetContextsByArtifactRequest.encode({ artifactId: kfp.models[0] }).finish()],
      ['GetEventsByArtifactIDs', svc.GetEventsByArtifactIDsRequest.encode({ artifactIds: kfp.models }).finish()],
      [
        'GetEventsByExecutionIDs',
        svc.GetEventsByExecutionIDsRequest.encode({ executionIds: [kfp.trainExecution] }).finish(),
      ],
      [
        'GetArtifactsByURI',
        svc.GetArtifactsByURIRequest.encode({ uris: ['minio://mlpipeline/v2/run-00/train/model'] }).finish(),
      ],
    ];
  }

  for (const format of ['text', 'binary'] as const) {
    it(`${format} mode: every KFP read RPC answers what native gRPC answers, byte for byte`, async () => {
      // What actually crossed the wire: the content types of each request and response.
      const seen: string[] = [];
      const onResponse = (r: import('playwright-core').Response) => {
        if (r.request().method() === 'POST')
          seen.push(`${r.request().headers()['content-type']} -> ${r.headers()['content-type']}`);
      };
      page.on('response', onResponse);
      for (const [method, request] of kfpReads()) {
        const expected = await rawUnaryCall(native, `${MLMD}/${method}`, Buffer.from(request));
        assert.ok('reply' in expected, `${method} failed natively: ${JSON.stringify(expected)}`);
        const got = await inBrowser(page, format, method, request);
        assert.ok('response' in got, `${method}: ${JSON.stringify(got)}`);
        assert.ok(expected.reply.length > 2, `${method} answers something`);
        assert.equal(got.response, expected.reply.toString('base64'), `${method}: answers differ`);
      }
      page.off('response', onResponse);
      const wire =
        format === 'text'
          ? 'application/grpc-web-text -> application/grpc-web-text+proto'
          : 'application/grpc-web+proto -> application/grpc-web+proto';
      assert.deepEqual([...new Set(seen)], [wire]);
      assert.equal(seen.length, kfpReads().length);
    });

    it(`${format} mode: errors arrive with the native code and message`, async () => {
      const failing: [string, Uint8Array][] = [
        ['GetContextType', svc.GetContextTypeRequest.encode({ typeName: 'no such type ü 中文 %' }).finish()],
        ['GetArtifacts', svc.GetArtifactsRequest.encode({ options: { filterQuery: "name = 'x' AND" } }).finish()],
        [
          'GetArtifacts',
          svc.GetArtifactsRequest.encode({ options: { maxResultSize: 10, nextPageToken: 'garbage' } }).finish(),
        ],
        // A context with executions: over one without, Google's server (and ours) answer empty whatever the options.
        [
          'GetExecutionsByContext',
          svc.GetExecutionsByContextRequest.encode({
            contextId: kfp.runContexts[0],
            options: { maxResultSize: -1 },
          }).finish(),
        ],
      ];
      for (const [method, request] of failing) {
        const expected = await rawUnaryCall(native, `${MLMD}/${method}`, Buffer.from(request));
        assert.ok(!('reply' in expected), `${method} succeeded natively`);
        const got = await inBrowser(page, format, method, request);
        assert.deepEqual(got, { code: expected.code, message: expected.details }, method);
      }
    });
  }

  it('a page from an origin that is not allowed cannot read anything', async () => {
    const foreign = await browser.newPage();
    await foreign.goto(foreignServer.origin);
    await foreign.waitForFunction(() => document.title === 'grpc-web page ready');
    const got = await inBrowser(foreign, 'text', 'GetArtifactTypes', svc.GetArtifactTypesRequest.encode({}).finish());
    assert.ok('code' in got && got.code !== 0, JSON.stringify(got));
    await foreign.screenshot({ path: path.join(screenshotDir('grpc-web'), 'foreign-origin.png') });
    await foreign.close();
  });
});

/**
 * CmfService hosting: the server binary (src/cli/main.ts, as users run it) serves cmf.v1.CmfService on the MLMD
 * port; reflection lists and describes it; health reports it.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { CmfClient } from '../../src/client/cmf-client';
import { healthCheck, reflect } from '../helpers/grpc-probes';
import { canConnect, freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the server binary hosts CmfService', () => {
  let dir: string;
  let child: ChildProcess;
  let address: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-cli-'));
    const cfg = path.join(dir, 'server.cfg');
    fs.writeFileSync(
      cfg,
      `connection_config {\n  sqlite {\n    filename_uri: "${path.join(dir, 'mlmd')}"\n    connection_mode: READWRITE_OPENCREATE\n  }\n}\n`,
    );
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        `--grpc_port=${port}`,
        '--http_port=-1',
        `--metadata_store_server_config_file=${cfg}`,
      ],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    await waitFor(
      'the server to listen',
      async () => {
        if (child.exitCode !== null) throw new Error('the server did not start');
        return canConnect(port);
      },
      60_000,
      100,
    );
  });
  after(async () => {
    if (child.exitCode === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers CmfService calls on the MLMD port', async () => {
    const cmf = new CmfClient(address, { deadlineMs: 30_000 });
    try {
      const { pipeline } = await cmf.createPipeline({ pipelineName: 'cli' });
      assert.equal(pipeline!.type, 'Parent_Context');
      assert.deepEqual((await cmf.getPipelineNames({})).names, ['cli']);
    } finally {
      cmf.close();
    }
  });

  it('reflection lists and describes cmf.v1.CmfService; health reports it', async () => {
    const list = await reflect(address, { list_services: '' });
    const names = (list.list_services_response?.service ?? []).map((s) => s.name);
    assert.ok(names.includes('cmf.v1.CmfService'), names.join());
    assert.ok(names.includes('ml_metadata.MetadataStoreService'), names.join());
    const file = await reflect(address, { file_containing_symbol: 'cmf.v1.CmfService' });
    const text = Buffer.concat(file.file_descriptor_response?.file_descriptor_proto ?? []).toString('latin1');
    assert.match(text, /LogDataset/);
    assert.match(text, /execution_id/);
    assert.equal(await healthCheck(address, 'cmf.v1.CmfService'), 'SERVING');
  });
});

/**
 * The graph worker's thread, without Neo4j: a thread whose store connection cannot be opened is reported unhealthy
 * and restarted with back-off, while the server's own store keeps taking writes into the outbox.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { startGraphProjection } from '../../src/graph';
import { GRAPH_DEFAULTS } from '../../src/graph/config';
import { outboxLag } from '../../src/graph/outbox';
import type { WorkerStatus } from '../../src/graph/worker';
import { createMlmdApi } from '../../src/mlmd/store';
import { openDatabase } from '../../src/storage/open';
import { waitFor } from '../helpers/wait';

test('a worker thread that cannot open its connection is reported unhealthy and restarted; writes still reach the outbox', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-thread-'));
  const db = await openDatabase({ kind: 'sqlite', filenameUri: path.join(dir, 'mlmd.sqlite') });
  const lines: string[] = [];
  const projection = await startGraphProjection(
    { ...GRAPH_DEFAULTS, uri: 'bolt://127.0.0.1:1', minBackoffMs: 20, maxBackoffMs: 100, lagLogMs: 0 },
    db,
    // A store the thread cannot open: its connection must exist already.
    {
      connection: { kind: 'sqlite', filenameUri: path.join(dir, 'missing', 'mlmd.sqlite') },
      log: (l) => lines.push(l),
    },
  );
  try {
    assert.equal(projection.threaded, true);
    const statuses: WorkerStatus[] = [];
    projection.worker.onStatus((s) => statuses.push(s));
    const api = createMlmdApi(projection.db);
    const { typeId } = await api.putContextType({ contextType: { name: 'T', properties: {} } });
    await api.putContexts({ contexts: [{ typeId, name: 'c' }] });
    await waitFor(
      `the thread to be restarted twice after failing (${lines.join(' | ')})`,
      () => lines.filter((l) => l.includes('restarting')).length >= 2,
    );
    assert.match(
      lines.find((l) => l.includes('restarting'))!,
      /unable to open|Cannot open SQLite database/i,
    );
    assert.equal(projection.status().healthy, false);
    assert.ok(statuses.some((s) => !s.healthy && s.failures > 0));
    assert.equal(
      (await outboxLag(db)).rows,
      1,
      'the context write waits in the outbox (type writes are not projected)',
    );
  } finally {
    await projection.stop();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * What a deletion costs: a store with one pipeline-like context of N executions (each reading the previous one's
 * output and writing its own, so the lineage is a chain), then the dry run and the real deletion of that context's
 * footprint through the lifecycle domain, timed. Prints rows per second and the SQLite file's size before and after.
 *
 *   npx tsx bench/delete.ts [executions=3000]        (SQLite in a temp directory)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

import { DeletedNodes } from '../generated/cmf_mlmd/v1/lifecycle';
import { Event_Type } from '../generated/ml_metadata/proto/metadata_store';
import { ensureDeletionTable } from '../src/lifecycle/audit';
import { runDeletion } from '../src/lifecycle/execute';
import { createMlmdApi } from '../src/mlmd/store';
import { openDatabase } from '../src/storage/open';

/** The SQLite store's bytes on disk: the file and its write-ahead log. */
function storeBytes(file: string): number {
  return [file, `${file}-wal`].reduce((sum, f) => sum + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 3000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-delete-'));
  const file = path.join(dir, 'mlmd.sqlite');
  const db = await openDatabase({ kind: 'sqlite', filenameUri: file });
  try {
    await ensureDeletionTable(db);
    const api = createMlmdApi(db);
    const { typeId: at } = await api.putArtifactType({ artifactType: { name: 'D', properties: {} } });
    const { typeId: et } = await api.putExecutionType({ executionType: { name: 'S', properties: {} } });
    const { typeId: ct } = await api.putContextType({ contextType: { name: 'Run', properties: {} } });
    const artifactIds = (
      await api.putArtifacts({
        artifacts: Array.from({ length: n + 1 }, (_, i) => ({ typeId: at, uri: `u${i}`, customProperties: {} })),
      })
    ).artifactIds!;
    const executionIds = (
      await api.putExecutions({
        executions: Array.from({ length: n }, () => ({ typeId: et, customProperties: {} })),
      })
    ).executionIds!;
    await api.putEvents({
      events: executionIds.flatMap((e, i) => [
        { artifactId: artifactIds[i], executionId: e, type: Event_Type.INPUT },
        { artifactId: artifactIds[i + 1], executionId: e, type: Event_Type.OUTPUT },
      ]),
    });
    const contextIds = (await api.putContexts({ contexts: [{ typeId: ct, name: 'run', customProperties: {} }] }))
      .contextIds!;
    await api.putAttributionsAndAssociations({
      associations: executionIds.map((e) => ({ contextId: contextIds[0], executionId: e })),
    });
    const sizeBefore = storeBytes(file);
    const request = { selection: { executionIds, contextIds }, mode: 0 };
    let t = performance.now();
    const dry = await runDeletion(db, { ...request, dryRun: true });
    const dryMs = performance.now() - t;
    t = performance.now();
    const real = await runDeletion(db, request);
    const realMs = performance.now() - t;
    const nodes = Number(
      real.deleted!.artifacts!.count! + real.deleted!.executions!.count! + real.deleted!.contexts!.count!,
    );
    const rows = Object.values(real.rows!).reduce((sum: number, v) => sum + Number(v ?? 0), 0) + nodes;
    const same =
      JSON.stringify(DeletedNodes.toJSON(dry.deleted!)) === JSON.stringify(DeletedNodes.toJSON(real.deleted!));
    console.log(
      `executions=${n} nodes=${nodes} rows=${rows} dry_run_ms=${dryMs.toFixed(0)} delete_ms=${realMs.toFixed(0)} ` +
        `rows_per_s=${((rows / realMs) * 1000).toFixed(0)} dry_run_equal=${same} ` +
        `sqlite_bytes_before=${sizeBefore} after=${storeBytes(file)} (no VACUUM: SQLite keeps the freed pages)`,
    );
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();

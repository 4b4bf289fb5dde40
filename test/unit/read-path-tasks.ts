/** Read tasks (storage/read-task.ts) for sqlite-read-paths.test.ts: loaded on the reader threads by file name. */
import { MlmdError } from '../../src/errors';
import type { Tx } from '../../src/storage/database';

export async function countTypes(tx: Tx, input: { kind: bigint }): Promise<{ count: bigint; kind: bigint }> {
  const row = await tx.get<{ count: bigint }>(
    "SELECT COUNT(*) AS count FROM Type WHERE type_kind = ? AND name NOT LIKE 'mlmd.%'",
    [input.kind],
  );
  return { count: row!.count, kind: input.kind };
}

export async function failWith(tx: Tx, input: { code?: number; message?: string; sql?: string }): Promise<never> {
  if (input.sql) await tx.all(input.sql);
  throw new MlmdError(input.code!, input.message!);
}

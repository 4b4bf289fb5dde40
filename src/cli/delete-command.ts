/**
 * `cmf-mlmd delete [selection] [--cascade] [--dry-run] [store flags]`: the lifecycle domain's deletion for
 * operators, on the store the same flags (or config file) would serve, without a server. Prints the DeleteResponse
 * as JSON on stdout; a refused deletion (blockers under RESTRICT, an unknown id, a selection over the limit) is one
 * log line and exit 1; a command-line mistake exit 2.
 *
 * Selection flags (they add up): --artifact_ids=1,2 --execution_ids=... --context_ids=...
 * --artifacts_filter='<filter_query>' --executions_filter=... --contexts_filter=... --pipeline=NAME (repeatable).
 * Dashes and underscores are interchangeable in these names (--dry-run, --dry_run).
 */
import {
  DeleteMode,
  DeleteResponse,
  type DeleteRequest,
  type DeleteSelection,
} from '../../generated/cmf_mlmd/v1/lifecycle';
import { ensureDeletionTable } from '../lifecycle/audit';
import { runDeletion } from '../lifecycle/execute';
import { createLogger } from '../logger';
import { buildServerPlan, type ServerPlan } from './config';
import { type Flags, parseFlags, UsageError } from './flags';
import { collectSecrets } from './secrets';
import { openStore } from './open-store';

type IdField = 'artifactIds' | 'executionIds' | 'contextIds';
type FilterField = 'artifactsFilter' | 'executionsFilter' | 'contextsFilter';

const ID_FLAGS: Record<string, IdField> = {
  artifact_ids: 'artifactIds',
  execution_ids: 'executionIds',
  context_ids: 'contextIds',
};
const FILTER_FLAGS: Record<string, FilterField> = {
  artifacts_filter: 'artifactsFilter',
  executions_filter: 'executionsFilter',
  contexts_filter: 'contextsFilter',
};

export const DELETE_USAGE = [
  'usage: cmf-mlmd delete [selection ...] [--cascade] [--dry-run] [store flags, as the server takes them]',
  '  --artifact_ids=1,2  --execution_ids=...  --context_ids=...       ids (comma-separated)',
  "  --artifacts_filter='<filter_query>'  --executions_filter=...  --contexts_filter=...",
  '  --pipeline=NAME      a CMF pipeline with its stages and executions (repeatable)',
  '  --cascade            delete what depends on the selection too (default: refuse, RESTRICT)',
  '  --dry-run            print what would be deleted; change nothing',
].join('\n');

/** Splits the command's own flags from the store flags and builds the request. */
export function parseDeleteArgs(argv: readonly string[]): { request: DeleteRequest; storeArgs: string[] } {
  const selection: DeleteSelection = {};
  const request: DeleteRequest = { selection, mode: DeleteMode.DELETE_MODE_RESTRICT, dryRun: false };
  const storeArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([A-Za-z0-9_-]+)(?:=(.*))?$/s.exec(argv[i]);
    const name = m?.[1].replace(/-/g, '_');
    const value = () => {
      if (m![2] !== undefined) return m![2];
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      return argv[++i];
    };
    if (name === 'cascade') request.mode = DeleteMode.DELETE_MODE_CASCADE;
    else if (name === 'dry_run') request.dryRun = true;
    else if (name === 'pipeline') (selection.pipelineNames ??= []).push(value());
    else if (name !== undefined && name in ID_FLAGS) {
      const field = ID_FLAGS[name];
      for (const text of value().split(',')) {
        if (!/^[0-9]{1,19}$/.test(text.trim())) throw new UsageError(`--${name} takes ids: "${text}" is not one`);
        (selection[field] ??= []).push(BigInt(text.trim()));
      }
    } else if (name !== undefined && name in FILTER_FLAGS) selection[FILTER_FLAGS[name]] = value();
    else storeArgs.push(argv[i]);
  }
  return { request, storeArgs };
}

/** Runs the subcommand: returns the exit code; `out` receives the response's JSON, the log its failure. */
export async function runDeleteCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
): Promise<number> {
  let request: DeleteRequest;
  let flags: Flags | undefined;
  let plan: ServerPlan;
  try {
    const parsed = parseDeleteArgs(argv);
    request = parsed.request;
    flags = parseFlags(parsed.storeArgs);
    if (flags.help) {
      out(DELETE_USAGE);
      return 0;
    }
    plan = buildServerPlan(flags);
  } catch (e) {
    createLogger({ secrets: collectSecrets(flags, undefined, env) }).fatal(`${(e as Error).message}\n${DELETE_USAGE}`);
    return e instanceof UsageError ? 2 : 1;
  }
  try {
    const db = await openStore(plan.backend, plan.migration, plan.connectionRetries);
    try {
      if (!request.dryRun) await ensureDeletionTable(db);
      out(JSON.stringify(DeleteResponse.toJSON(await runDeletion(db, request)), null, 2));
      return 0;
    } finally {
      await db.close();
    }
  } catch (e) {
    createLogger({ secrets: collectSecrets(flags, plan, env) }).error(`delete refused: ${(e as Error).message}`);
    return 1;
  }
}

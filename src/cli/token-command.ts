/**
 * `cmf-mlmd token create <account> --api_tokens_file=PATH`: makes a new API token for a service account, appends its
 * hash to the file (created with mode 0600 if missing) and prints the token on stdout, the only time it is shown.
 * A running server accepts it after SIGHUP (or a restart).
 */
import * as fs from 'node:fs';
import { ApiTokens, createApiToken } from '../access/api-tokens';

export const TOKEN_USAGE =
  'usage: cmf-mlmd token create <account> --api_tokens_file=PATH   (prints the new token once; then SIGHUP the server)';

/** Runs the subcommand; returns the exit code (2: a usage mistake, 1: the file cannot be used). */
export async function runTokenCommand(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const positional = argv.filter((a) => !a.startsWith('-'));
  const fileFlag = argv.find((a) => /^--?api_tokens_file=/.test(a));
  const file = fileFlag?.slice(fileFlag.indexOf('=') + 1);
  if (positional.length !== 2 || positional[0] !== 'create' || !file || argv.length !== 3) {
    err(TOKEN_USAGE);
    return 2;
  }
  try {
    // A file that exists must be one we can read, or the new line would sit behind a broken one.
    if (fs.existsSync(file)) ApiTokens.parse(fs.readFileSync(file, 'utf8'));
    const { token, line } = await createApiToken(positional[1]);
    const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
    fs.appendFileSync(file, `${separator}${line}\n`, { mode: 0o600 });
    out(`${token}\n`);
    return 0;
  } catch (e) {
    err(`cannot create the token: ${(e as Error).message}`);
    return 1;
  }
}

/**
 * Content hashes exactly as DVC 3 computes them (the `md5` hash of dvc-data), streaming so that files of any size
 * are hashed in constant memory:
 *  - a file: md5 of its raw bytes, lowercase hex (DVC 3 does no CRLF normalisation for new objects);
 *  - a directory: every regular file below it (recursively, symlinks followed, empty directories contributing
 *    nothing) as {"md5": <file md5>, "relpath": <posix path relative to the directory>}, sorted by relpath (Python
 *    string order), serialised as Python's `json.dumps(list, sort_keys=True)` would, UTF-8 encoded, md5, plus ".dir".
 * Also the DVC 3 remote layout of an object: `<remote>/files/md5/<first 2 hex>/<rest>`.
 * `.dvcignore` patterns are not applied: directories with a .dvcignore are refused rather than hashed differently.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { comparePyStr, pyJsonDumps } from '../python-text';

/**
 * md5 of a file's bytes, read in chunks into one reused buffer: constant memory for any file size, and no stream
 * machinery per chunk (measurably faster than fs.createReadStream, close to md5sum).
 */
export async function md5File(file: string, chunkBytes = 4 * 1024 * 1024): Promise<string> {
  const handle = await fs.promises.open(file, 'r');
  const buffer = Buffer.allocUnsafe(chunkBytes);
  const hash = createHash('md5');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      hash.update(bytesRead === chunkBytes ? buffer : buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

export const md5Text = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

export interface DirEntry {
  md5: string;
  relpath: string;
}

async function listFiles(root: string, rel: string, out: string[]): Promise<void> {
  const dir = path.join(root, rel);
  for (const entry of await fs.promises.readdir(dir, { withFileTypes: true })) {
    const relpath = rel === '' ? entry.name : `${rel}/${entry.name}`;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const st = await fs.promises.stat(path.join(dir, entry.name));
      isDir = st.isDirectory();
      isFile = st.isFile();
    }
    if (rel === '' && entry.name === '.dvcignore') {
      throw new Error(`${path.join(dir, entry.name)}: .dvcignore files are not supported by the SDK's hashing`);
    }
    if (isDir) {
      if (entry.name === '.git' || entry.name === '.dvc') continue; // DVC never tracks these
      await listFiles(root, relpath, out);
    } else if (isFile) {
      out.push(relpath);
    }
  }
}

/** The `.dir` manifest of a directory, as DVC stores it, and its hash. */
export async function hashDirectory(dir: string): Promise<{ hash: string; entries: DirEntry[]; manifest: string }> {
  const files: string[] = [];
  await listFiles(dir, '', files);
  files.sort(comparePyStr);
  const entries: DirEntry[] = [];
  for (const relpath of files) entries.push({ md5: await md5File(path.join(dir, ...relpath.split('/'))), relpath });
  const manifest = pyJsonDumps(
    entries.map((e) => ({ md5: e.md5, relpath: e.relpath })),
    true,
  );
  return { hash: `${md5Text(manifest)}.dir`, entries, manifest };
}

/** DVC 3 hash of a file (32 hex) or a directory (32 hex + ".dir"). A missing path is an error. */
export async function dvcHash(target: string): Promise<string> {
  const st = await fs.promises.stat(target).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === 'ENOENT' ? `${target}: no such file or directory` : `${target}: ${e.message}`);
  });
  if (st.isDirectory()) return (await hashDirectory(target)).hash;
  if (st.isFile()) return md5File(target);
  throw new Error(`${target}: neither a regular file nor a directory`);
}

/** Where DVC 3 keeps an object in a remote: `<remote>/files/md5/ab/cdef…` (".dir" kept on directories). */
export function dvcRemoteUrl(remote: string, hash: string): string {
  const base = remote.endsWith('/') ? remote.slice(0, -1) : remote;
  return `${base}/files/md5/${hash.slice(0, 2)}/${hash.slice(2)}`;
}

/**
 * The default remote's URL from a DVC project's config (`.dvc/config`, overridden by `.dvc/config.local`):
 * `[core] remote = NAME` and `['remote "NAME"'] url = ...`. A relative local path is resolved against the .dvc
 * directory, as DVC does. Undefined when there is no DVC project or no default remote.
 */
export function dvcDefaultRemote(projectRoot: string): string | undefined {
  const sections = new Map<string, Map<string, string>>();
  for (const name of ['config', 'config.local']) {
    const file = path.join(projectRoot, '.dvc', name);
    if (!fs.existsSync(file)) continue;
    let current = '';
    for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
      const header = /^\[\s*(.+?)\s*\]$/.exec(line);
      if (header) {
        current = header[1].replace(/^'(.*)'$/, '$1').replace(/\s+/g, ' ');
        if (!sections.has(current)) sections.set(current, new Map());
        continue;
      }
      const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
      if (kv && current) sections.get(current)!.set(kv[1].trim(), kv[2].trim());
    }
  }
  const remoteName = sections.get('core')?.get('remote');
  if (!remoteName) return undefined;
  const url = sections.get(`remote "${remoteName}"`)?.get('url');
  if (!url) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || path.isAbsolute(url)) return url;
  return path.resolve(projectRoot, '.dvc', url);
}

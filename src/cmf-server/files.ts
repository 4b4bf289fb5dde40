/**
 * cmf-server's file side: the Python environment files, label CSVs and TensorBoard logs that `cmf metadata push`
 * uploads, kept under one data directory (cmf-server hard-codes /cmf-server/data):
 *
 *   <dir>/env/<file>                          python_env_<md5>.txt|yaml (uploaded under its relative path; stored by basename)
 *   <dir>/labels/<md5>                        label files, uploaded under their md5; never overwritten
 *   <dir>/tensorboard-logs/<pipeline>/<path>  TensorBoard logs, under the relative path the CLI sends
 *
 * Every name is user input: one path segment (or, for TensorBoard, a relative path of segments), no "." or "..",
 * no NUL or control characters, no backslash, at most 255 bytes a segment; anything else is refused (HTTP 400),
 * never resolved. Files are written to a temporary name and renamed, so a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Code, MlmdError } from '../errors';

/** A file-side failure: a bad name (INVALID_ARGUMENT, HTTP 400) or a missing file (NOT_FOUND, 404), as cmf-server. */
export class DataDirError extends MlmdError {
  constructor(code: Code.INVALID_ARGUMENT | Code.NOT_FOUND, message: string) {
    super(code, message);
    this.name = 'DataDirError';
  }
}

const MAX_SEGMENT_BYTES = 255;
const MAX_DEPTH = 32;

/** One path segment a user may name, or a DataDirError (INVALID_ARGUMENT) saying why not. */
export function safeSegment(name: string, what: string): string {
  if (name === '' || name === '.' || name === '..')
    throw new DataDirError(Code.INVALID_ARGUMENT, `${what}: ${JSON.stringify(name)} is not a file name`);
  if (/[\u0000-\u001f\u007f/\\]/.test(name)) {
    throw new DataDirError(
      Code.INVALID_ARGUMENT,
      `${what}: ${JSON.stringify(name)} contains a control character, "/" or "\\"`,
    );
  }
  if (Buffer.byteLength(name) > MAX_SEGMENT_BYTES)
    throw new DataDirError(Code.INVALID_ARGUMENT, `${what} is longer than ${MAX_SEGMENT_BYTES} bytes`);
  return name;
}

/** A relative path of safe segments (no absolute path, no empty segment, bounded depth). */
export function safeRelativePath(p: string, what: string): string[] {
  if (p.startsWith('/'))
    throw new DataDirError(Code.INVALID_ARGUMENT, `${what}: ${JSON.stringify(p)} is an absolute path`);
  const segments = p.split('/');
  if (segments.length > MAX_DEPTH)
    throw new DataDirError(Code.INVALID_ARGUMENT, `${what} is deeper than ${MAX_DEPTH} directories`);
  return segments.map((s) => safeSegment(s, what));
}

/** The last segment of an uploaded name (cmf-server keeps only the basename of env and label uploads). */
export function baseName(name: string, what: string): string {
  return safeSegment(name.slice(name.lastIndexOf('/') + 1), what);
}

export class CmfDataDir {
  readonly envDir: string;
  readonly labelsDir: string;
  readonly tensorboardDir: string;

  private constructor(readonly root: string) {
    this.envDir = path.join(root, 'env');
    this.labelsDir = path.join(root, 'labels');
    this.tensorboardDir = path.join(root, 'tensorboard-logs');
  }

  /** Creates the directory and its three folders when missing. */
  static async open(root: string): Promise<CmfDataDir> {
    const dir = new CmfDataDir(path.resolve(root));
    for (const d of [dir.envDir, dir.labelsDir, dir.tensorboardDir]) await fs.mkdir(d, { recursive: true });
    return dir;
  }

  /** Writes `data` to `file` (inside the data directory) through a temporary file and a rename. */
  private async writeAtomically(file: string, data: Buffer): Promise<void> {
    // Defence in depth: every name was checked segment by segment; the resolved path must still be ours.
    if (!path.resolve(file).startsWith(this.root + path.sep))
      throw new DataDirError(Code.INVALID_ARGUMENT, 'the file name leaves the data directory');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temp = path.join(path.dirname(file), `.upload-${randomBytes(8).toString('hex')}`);
    await fs.writeFile(temp, data, { flag: 'wx' });
    try {
      await fs.rename(temp, file);
    } catch (e) {
      await fs.rm(temp, { force: true });
      throw e;
    }
  }

  async savePythonEnv(uploadName: string, data: Buffer): Promise<string> {
    const name = baseName(uploadName, 'file name');
    await this.writeAtomically(path.join(this.envDir, name), data);
    return name;
  }

  /** Stores a label file unless one of that name exists (labels are named by their md5). True when written. */
  async saveLabel(uploadName: string, data: Buffer): Promise<boolean> {
    const name = baseName(uploadName, 'file name');
    const file = path.join(this.labelsDir, name);
    if (await exists(file)) return false;
    await this.writeAtomically(file, data);
    return true;
  }

  async saveTensorboard(pipelineName: string, relativePath: string, data: Buffer): Promise<void> {
    const pipeline = safeSegment(pipelineName, 'pipeline_name');
    const segments = safeRelativePath(relativePath, 'file name');
    await this.writeAtomically(path.join(this.tensorboardDir, pipeline, ...segments), data);
  }

  /** An env file's text; the name must end in .txt or .yaml (400), and exist (404). */
  async readPythonEnv(fileName: string): Promise<string> {
    if (!fileName.endsWith('.txt') && !fileName.endsWith('.yaml')) {
      throw new DataDirError(Code.INVALID_ARGUMENT, 'Unsupported file extension. Use .txt or .yaml');
    }
    return readText(path.join(this.envDir, baseName(fileName, 'file_name')));
  }

  async readLabel(fileName: string): Promise<string> {
    return readText(path.join(this.labelsDir, baseName(fileName, 'file_name')));
  }

  /** The env files by name: the named ones (404 for a missing one), or all of them. */
  async pythonEnvFiles(names?: readonly string[]): Promise<Array<{ name: string; data: Buffer }>> {
    const wanted =
      names && names.length > 0 ? names.map((n) => safeSegment(n, 'list_of_files')) : await this.envNames();
    const files = [];
    for (const name of wanted) {
      const file = path.join(this.envDir, name);
      if (!(await exists(file))) throw new DataDirError(Code.NOT_FOUND, `File ${name} does not exist`);
      files.push({ name, data: await fs.readFile(file) });
    }
    return files;
  }

  private async envNames(): Promise<string[]> {
    const entries = await fs.readdir(this.envDir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.upload-'))
      .map((e) => e.name)
      .sort();
  }

  /** Stores files a peer sent (its env zip): each by its safe basename, never replacing an existing file. */
  async addPythonEnvFiles(files: ReadonlyArray<{ name: string; data: Buffer }>): Promise<string[]> {
    const added = [];
    for (const f of files) {
      const name = baseName(f.name, 'file name in the peer zip');
      const file = path.join(this.envDir, name);
      if (await exists(file)) continue;
      await this.writeAtomically(file, f.data);
      added.push(name);
    }
    return added;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataDirError(Code.NOT_FOUND, 'File not found');
    throw e;
  }
}

/**
 * Compat suite "cmf-hashing": the SDK's DVC-3 content hashes against `dvc` itself (PyPI, in .venv). Files and
 * directories — nested, Unicode names, empty files, an empty subdirectory, names whose sort order differs between
 * path-part and string ordering, CRLF text, a multi-MB file — are hashed by our SDK and by `dvc add`; the remote
 * URLs are compared with `dvc.api.get_url`.
 * Without .venv/bin/dvc the suite cannot run: skipped, except with CI=true, where that is a failure.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { dvcDefaultRemote, dvcHash, dvcRemoteUrl, hashDirectory } from '../../src/client/hashing';
import { pyFloatStr, pyJsonDumps, pyListRepr, type PyJson } from '../../src/python-text';

const ROOT = path.resolve(__dirname, '..', '..');
const DVC = path.join(ROOT, '.venv', 'bin', 'dvc');
const PY = path.join(ROOT, '.venv', 'bin', 'python');
const CI = process.env.CI === 'true' || process.env.CI === '1';
const missing = fs.existsSync(DVC) ? '' : `${DVC} is missing (run scripts/setup-test-env.sh)`;

function write(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Targets (top-level names) and their contents. */
function makeFixtures(dir: string): string[] {
  write(path.join(dir, 'plain.txt'), 'hello world\n');
  write(path.join(dir, 'empty.bin'), '');
  write(path.join(dir, 'crlf.csv'), 'a,b\r\n1,2\r\n');
  write(path.join(dir, 'données-été.txt'), 'unicode name\n');
  write(path.join(dir, 'big.bin'), randomBytes(5 * 1024 * 1024 + 17));
  // a nested directory with an empty file, an empty subdirectory and sort-order traps
  const tree = path.join(dir, 'tree');
  write(path.join(tree, 'a', 'b.txt'), 'a/b');
  write(path.join(tree, 'a-c.txt'), 'a-c');
  write(path.join(tree, 'a.txt'), 'a.txt');
  write(path.join(tree, 'A.txt'), 'upper');
  write(path.join(tree, 'zero'), '');
  write(path.join(tree, 'deep', 'er', 'est', 'leaf.json'), '{"k": [1, 2]}');
  fs.mkdirSync(path.join(tree, 'emptydir', 'inner'), { recursive: true });
  // Unicode: accents, CJK, emoji (outside the BMP: Python sorts by code point, JS by UTF-16 unit), a quote
  const uni = path.join(dir, 'ünï');
  write(path.join(uni, 'é.txt'), 'e acute');
  write(path.join(uni, '日本語', 'ファイル.txt'), 'japanese');
  write(path.join(uni, '😀.txt'), 'emoji');
  write(path.join(uni, '\uff61.txt'), 'halfwidth ideographic full stop (sorts after the emoji in UTF-16)');
  write(path.join(uni, 'quote"and\\back.txt'), 'escapes');
  write(path.join(uni, 'space name.txt'), '');
  // only empty files
  write(path.join(dir, 'empties', 'x'), '');
  write(path.join(dir, 'empties', 'y', 'z'), '');
  return ['plain.txt', 'empty.bin', 'crlf.csv', 'données-été.txt', 'big.bin', 'tree', 'ünï', 'empties'];
}

function dvcMd5(dir: string, target: string): string {
  const text = fs.readFileSync(path.join(dir, `${target}.dvc`), 'utf8');
  const m = /md5: ([0-9a-f]{32}(?:\.dir)?)/.exec(text);
  assert.ok(m, `no md5 in ${target}.dvc:\n${text}`);
  return m[1];
}

describe('SDK hashing equals DVC 3', { skip: missing && !CI ? `cannot run: ${missing}` : false }, () => {
  let dir: string;
  let targets: string[];
  before(() => {
    if (missing) throw new Error(`cannot run: ${missing}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmf-hash-'));
    const project = path.join(dir, 'project');
    fs.mkdirSync(project);
    targets = makeFixtures(project);
    const run = (args: string[]) =>
      execFileSync(DVC, args, {
        cwd: project,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DVC_NO_ANALYTICS: '1' },
      });
    run(['init', '--no-scm', '-q']);
    run(['remote', 'add', '-d', 'store', '../remote-store']);
    run(['add', '-q', ...targets]);
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('every file and directory hashes as dvc add records it', async () => {
    const project = path.join(dir, 'project');
    for (const t of targets) {
      assert.equal(await dvcHash(path.join(project, t)), dvcMd5(project, t), t);
    }
  });

  it('the .dir manifest is byte-identical to the one in the DVC cache', async () => {
    const project = path.join(dir, 'project');
    for (const t of ['tree', 'ünï', 'empties']) {
      const { hash, manifest } = await hashDirectory(path.join(project, t));
      const cached = fs.readFileSync(
        path.join(project, '.dvc', 'cache', 'files', 'md5', hash.slice(0, 2), hash.slice(2)),
        'utf8',
      );
      assert.equal(manifest, cached, t);
    }
  });

  it('remote URLs equal dvc.api.get_url (relative local remote resolved as DVC does)', async () => {
    const project = path.join(dir, 'project');
    const remote = dvcDefaultRemote(project)!;
    const script = `import dvc.api, json, sys\nprint(json.dumps([dvc.api.get_url(t) for t in sys.argv[1:]]))`;
    const urls = JSON.parse(
      execFileSync(PY, ['-c', script, ...targets], {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, DVC_NO_ANALYTICS: '1' },
      }),
    );
    for (let i = 0; i < targets.length; i++) {
      assert.equal(dvcRemoteUrl(remote, await dvcHash(path.join(project, targets[i]))), urls[i], targets[i]);
    }
  });

  it('a missing path is an error', async () => {
    await assert.rejects(dvcHash(path.join(dir, 'project', 'nope')), /no such file/);
  });
});

/** The Python text forms the CMF records depend on (str(float), repr(list of str), json.dumps), against CPython. */
describe('Python text forms equal CPython', { skip: missing && !CI ? `cannot run: ${missing}` : false }, () => {
  it('str(float) for special and 2000 random doubles', () => {
    const special = [
      0.1,
      0.2,
      1e-5,
      1e-4,
      0.0001234,
      1e16,
      1e15,
      1.5e-7,
      123456789012345680,
      5e-324,
      1e22,
      20,
      -0,
      0,
      9999999999999998,
      1.7976931348623157e308,
      -2.5,
      1 / 3,
    ];
    const doubles = [...special];
    const buf = Buffer.alloc(8);
    while (doubles.length < special.length + 2000) {
      randomBytes(8).copy(buf);
      const x = buf.readDoubleBE(0);
      if (Number.isFinite(x)) doubles.push(x);
    }
    const hex = doubles.map((x) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(x);
      return b.toString('hex');
    });
    const script =
      'import json, struct, sys\nprint(json.dumps([str(struct.unpack(">d", bytes.fromhex(h))[0]) for h in json.load(sys.stdin)]))';
    const expected: string[] = JSON.parse(
      execFileSync(PY, ['-c', script], { input: JSON.stringify(hex), encoding: 'utf8' }),
    );
    doubles.forEach((x, i) => assert.equal(pyFloatStr(x), expected[i], `double ${hex[i]}`));
  });

  it('repr(list of str) and json.dumps(sort_keys=True)', () => {
    const strings = [
      'plain',
      "it's",
      'say "hi"',
      'both \' and "',
      'back\\slash',
      'tab\tnew\nline',
      'numpy==1.26.4',
      'é',
      '日本',
      '',
    ];
    const docs: PyJson[] = [
      [
        { md5: 'a', relpath: 'é/日本/😀.txt' },
        { relpath: 'q"\\', md5: 'b' },
      ],
      { z: 1n, a: [true, false, null, 'x'], ü: { '😀': 'ｱ', '\uff61': 'end' }, ctrl: '\u0001\u001f\u007f' },
    ];
    const script =
      'import json, sys\nd = json.load(sys.stdin)\nprint(json.dumps([repr(d["strings"])] + [json.dumps(x, sort_keys=True) for x in d["docs"]]))';
    const input = JSON.stringify({ strings, docs }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
    const [repr, ...dumps] = JSON.parse(execFileSync(PY, ['-c', script], { input, encoding: 'utf8' }));
    assert.equal(pyListRepr(strings), repr);
    docs.forEach((doc, i) => assert.equal(pyJsonDumps(doc, true), dumps[i]));
  });
});

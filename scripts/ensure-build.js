// `npm start`'s prestart: the built server (dist/) must be what the sources say. Rebuilds (npm run build) when
// dist/ is missing or older than any source, so a checkout never serves stale code; a package installed from a
// tarball has no sources and is left alone.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'main.js');
const sources = ['src', 'generated', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newest(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const e of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, e)));
  return max;
}

const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : -1;
const hasSources = fs.existsSync(path.join(root, 'src'));
if (hasSources && builtAt < Math.max(...sources.map((s) => newest(path.join(root, s))))) {
  process.stderr.write(`cmf-mlmd: ${builtAt < 0 ? 'no build yet' : 'dist/ is older than the sources'}; npm run build\n`);
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

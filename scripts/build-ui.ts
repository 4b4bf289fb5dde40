/**
 * Builds the web UI (src/ui) into dist/ui: one minified bundle of scripts and one of styles, named by content hash,
 * and an index.html that loads them. `npm install` runs it (package.json `prepare`), `npm run build:ui` by hand.
 * The server reads dist/ui at start-up (src/server/ui-files.ts); nothing here is committed.
 *
 * The generated ts-proto modules are shared with the server: they import grpc-js (for the client constructors the
 * UI never uses), which is replaced by a tiny shim, and use Node's Buffer for bytes fields, which the `buffer`
 * package provides in the browser.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const UI = path.join(ROOT, 'src', 'ui');
const OUT = path.join(ROOT, 'dist', 'ui');

/** What any browser bundle that uses the generated codecs needs (the UI, and the test pages of test/ui). */
export const BROWSER_BUNDLE: esbuild.BuildOptions = {
  bundle: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  alias: { '@grpc/grpc-js': path.join(UI, 'shims', 'grpc-js.ts') },
  inject: [path.join(UI, 'shims', 'buffer.ts')],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};

async function main(): Promise<void> {
  const t0 = Date.now();
  const staging = `${OUT}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const result = await esbuild.build({
    ...BROWSER_BUNDLE,
    entryPoints: { app: path.join(UI, 'main.tsx') },
    minify: true,
    sourcemap: 'linked',
    outdir: path.join(staging, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.relative(staging, f).split(path.sep).join('/'));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`build-ui: expected a .js and a .css output, got ${outputs.join(', ')}`);
  const template = fs.readFileSync(path.join(UI, 'index.html'), 'utf8');
  const html = template
    .replace('<!-- styles -->', `<link rel="stylesheet" href="/${style}">`)
    .replace('<!-- scripts -->', `<script type="module" src="/${script}"></script>`);
  fs.writeFileSync(path.join(staging, 'index.html'), html);
  fs.copyFileSync(path.join(UI, 'favicon.svg'), path.join(staging, 'favicon.svg'));
  // Swap in the new build whole, so a server starting meanwhile never reads half of one.
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.renameSync(staging, OUT);
  const size = fs.statSync(path.join(OUT, script)).size;
  process.stderr.write(`build-ui: dist/ui (${script}, ${(size / 1024).toFixed(0)} KiB) in ${Date.now() - t0} ms\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`build-ui failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

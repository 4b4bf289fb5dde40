/**
 * The web UI's files (dist/ui, built from src/ui by `npm install`) on the HTTP listener: `/` is the app, the rest are
 * the hashed bundles it loads. The folder is read once at start-up into memory (it is small), so a request can only
 * ever name one of those files: no path is joined with user input, nothing else on disk is reachable.
 *
 * The app routes in the URL's fragment (`/#/executions?...`), so every deep link is a request for `/`; paths that
 * are not files stay 404 for the routes after this one (the cmf-server API, metrics).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { HttpRoute } from './http';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The app's pages may load only its own files and talk only to this server; no inline script can run, so text from
 * the store (names, properties) can never become code, even if some view forgot to escape it.
 */
const HTML_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Bundles carry a content hash in their name (esbuild's [hash]), so browsers may keep them for ever. */
const HASHED_NAME = /-[A-Z0-9]{8,}\.[a-z0-9]+$/;

interface UiFile {
  body: Buffer;
  gzipped?: Buffer;
  headers: Record<string, string>;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

function loadFile(dir: string, rel: string): UiFile {
  const body = fs.readFileSync(path.join(dir, rel));
  const ext = path.extname(rel);
  const type = CONTENT_TYPES[ext] ?? 'application/octet-stream';
  const headers: Record<string, string> = {
    'content-type': type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    'x-content-type-options': 'nosniff',
    'cache-control': HASHED_NAME.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...(ext === '.html' ? HTML_HEADERS : {}),
  };
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
  return { body, gzipped: compressible ? gzipSync(body) : undefined, headers };
}

export interface UiFiles {
  /** Whether dist/ui held a built app (index.html). */
  readonly built: boolean;
  readonly route: HttpRoute;
}

/** The UI route over the files of `dir`; when the app is not built, `/` says how to build it. */
export function uiFiles(dir: string): UiFiles {
  const files = new Map<string, UiFile>();
  if (fs.existsSync(path.join(dir, 'index.html'))) {
    for (const rel of listFiles(dir)) files.set(`/${rel}`, loadFile(dir, rel));
    files.set('/', files.get('/index.html')!);
  }
  const built = files.size > 0;

  const send = (req: http.IncomingMessage, res: http.ServerResponse, file: UiFile): void => {
    if (req.headers['if-none-match'] === file.headers.etag) {
      res.writeHead(304, { etag: file.headers.etag, 'cache-control': file.headers['cache-control'] });
      res.end();
      return;
    }
    const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzipped! : file.body;
    res.writeHead(200, {
      ...file.headers,
      'content-length': body.length,
      vary: 'Accept-Encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const route: HttpRoute = {
    name: 'ui',
    matches: (req, url) =>
      (req.method === 'GET' || req.method === 'HEAD') && (url.pathname === '/' || files.has(url.pathname)),
    handle: async (req, res, url) => {
      const file = files.get(url.pathname);
      if (file !== undefined) return send(req, res, file);
      const text = `The web UI is not built (no ${path.join(dir, 'index.html')}). Run \`npm install\` or \`npm run build:ui\`.\n`;
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
  };
  return { built, route };
}

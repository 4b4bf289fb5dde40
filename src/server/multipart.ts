/**
 * multipart/form-data (RFC 7578) as the `cmf` CLI sends files (python-requests: one part named "file" with a
 * filename): the parts of a body already read within its size limit. Hostile bodies get an HttpError 400 naming the
 * problem: no boundary, a part without headers end, a missing closing delimiter.
 */
import { HttpError } from './http';

export interface FormPart {
  name: string;
  /** The filename parameter, when the part is a file (decoded from filename* when given). */
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Headers of one part may not exceed this; a part's data is bounded by the body's own limit. */
const MAX_PART_HEADER_BYTES = 16 * 1024;
const MAX_PARTS = 100;

/** The boundary of a multipart/form-data content type, or an HttpError 400 (415 for another media type). */
export function formBoundary(contentType: string | undefined): string {
  const [type, ...params] = (contentType ?? '').split(';');
  if (type.trim().toLowerCase() !== 'multipart/form-data') {
    throw new HttpError(415, 'the request body must be multipart/form-data');
  }
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value.length === 0 || value.length > 70) break;
    return value;
  }
  throw new HttpError(400, 'multipart/form-data without a valid boundary parameter');
}

/**
 * The parameters of a Content-Disposition header value. Quoted values follow the HTML form encoding browsers,
 * python-requests and undici use (RFC 7578 4.2): `"`, CR and LF arrive as %22, %0D, %0A and a backslash is a plain
 * character, never an escape.
 */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([A-Za-z0-9_.*-]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const raw = m[2] !== undefined ? m[2].replace(/%22|%0D|%0A/gi, (e) => decodeURIComponent(e)) : m[3];
    params.set(m[1].toLowerCase(), raw);
  }
  return params;
}

/** RFC 5987 `UTF-8''percent-encoded`, the form of filename*. */
function extValue(value: string): string | undefined {
  const m = /^([A-Za-z0-9_-]+)'[^']*'(.*)$/.exec(value);
  if (!m || m[1].toLowerCase() !== 'utf-8') return undefined;
  try {
    return decodeURIComponent(m[2]);
  } catch {
    return undefined;
  }
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new HttpError(400, 'multipart body without its boundary');
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // "--": the closing delimiter
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) throw new HttpError(400, 'malformed multipart delimiter line');
    pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0 || headerEnd - pos > MAX_PART_HEADER_BYTES) {
      throw new HttpError(400, 'multipart part without the end of its headers');
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new HttpError(400, 'multipart body without its closing boundary');
    if (parts.length >= MAX_PARTS) throw new HttpError(400, `more than ${MAX_PARTS} multipart parts`);
    const headers = new Map<string, string>();
    for (const line of body.subarray(pos, headerEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get('content-disposition') ?? '';
    if (!/^form-data\b/i.test(disposition)) throw new HttpError(400, 'multipart part without form-data disposition');
    const params = dispositionParams(disposition);
    const extended = params.has('filename*') ? extValue(params.get('filename*')!) : undefined;
    parts.push({
      name: params.get('name') ?? '',
      filename: extended ?? params.get('filename'),
      contentType: headers.get('content-type'),
      data: body.subarray(headerEnd + 4, next),
    });
    pos = next + 2;
  }
}

/**
 * The zip archives cmf-server exchanges Python environment files in (GET /download-python-env, fetched by a peer's
 * sync): a writer for ours and a bounded reader for a peer's. Only what those archives use: stored or deflated
 * entries, no encryption, no zip64. The reader trusts nothing in the archive: entry count, every entry's size and
 * the total unpacked size are capped, and inflation stops at the declared size (a zip bomb fails, it never fills
 * memory).
 */
import * as zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8_NAMES = 0x0800;

/** DOS date/time fields for `date` (zip's local-time convention; we write UTC). */
function dosTime(date: Date): { time: number; day: number } {
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
    day: ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

export function writeZip(entries: readonly ZipEntry[], now = new Date()): Buffer {
  const { time, day } = dosTime(now);
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const packed = zlib.deflateRawSync(e.data);
    const crc = zlib.crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(day, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(CENTRAL, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(UTF8_NAMES, 8);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt16LE(time, 12);
    dir.writeUInt16LE(day, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(packed.length, 20);
    dir.writeUInt32LE(e.data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    chunks.push(local, name, packed);
    central.push(dir, name);
    offset += local.length + name.length + packed.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, centralBytes, end]);
}

export class ZipError extends Error {
  constructor(message: string) {
    super(`invalid zip archive: ${message}`);
    this.name = 'ZipError';
  }
}

export interface ZipLimits {
  maxEntries: number;
  /** Total unpacked bytes of all entries. */
  maxTotalBytes: number;
}

export function readZip(zip: Buffer, limits: ZipLimits): ZipEntry[] {
  // The end record sits in the last 22 bytes plus a comment of at most 64 KiB.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipError('no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  const dirSize = zip.readUInt32LE(end + 12);
  let pos = zip.readUInt32LE(end + 16);
  if (count > limits.maxEntries) throw new ZipError(`more than ${limits.maxEntries} entries`);
  if (pos + dirSize > end) throw new ZipError('central directory outside the archive');
  const entries: ZipEntry[] = [];
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (pos + 46 > end || zip.readUInt32LE(pos) !== CENTRAL) throw new ZipError('truncated central directory');
    const flags = zip.readUInt16LE(pos + 8);
    const method = zip.readUInt16LE(pos + 10);
    const crc = zip.readUInt32LE(pos + 16);
    const packedSize = zip.readUInt32LE(pos + 20);
    const size = zip.readUInt32LE(pos + 24);
    const nameLength = zip.readUInt16LE(pos + 28);
    const extraLength = zip.readUInt16LE(pos + 30);
    const commentLength = zip.readUInt16LE(pos + 32);
    const localOffset = zip.readUInt32LE(pos + 42);
    const name = zip.subarray(pos + 46, pos + 46 + nameLength).toString('utf8');
    pos += 46 + nameLength + extraLength + commentLength;
    if (flags & 0x1) throw new ZipError(`${name} is encrypted`);
    if (method !== 0 && method !== 8) throw new ZipError(`${name} uses compression method ${method}`);
    total += size;
    if (total > limits.maxTotalBytes) throw new ZipError(`more than ${limits.maxTotalBytes} bytes unpacked`);
    if (localOffset + 30 > zip.length || zip.readUInt32LE(localOffset) !== LOCAL)
      throw new ZipError(`${name}: bad local header`);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    if (dataStart + packedSize > zip.length) throw new ZipError(`${name} runs past the end of the archive`);
    const packed = zip.subarray(dataStart, dataStart + packedSize);
    let data: Buffer;
    try {
      data = method === 0 ? Buffer.from(packed) : zlib.inflateRawSync(packed, { maxOutputLength: Math.max(size, 1) });
    } catch (e) {
      throw new ZipError(`${name} does not unpack to its declared ${size} bytes: ${(e as Error).message}`);
    }
    if (data.length !== size || zlib.crc32(data) !== crc) throw new ZipError(`${name} fails its size or CRC check`);
    if (!name.endsWith('/')) entries.push({ name, data });
  }
  return entries;
}

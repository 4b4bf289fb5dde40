/**
 * RFC 4122 version-1 UUIDs as Python's uuid.uuid1() makes them (time-based, 100 ns ticks since 1582-10-15). cmflib
 * uses them for Execution_uuid, Metrics uris and Step_Metrics names. The node id is random with the multicast bit
 * set (RFC 4122 §4.5), since no MAC address is read; a counter keeps ids made within one tick distinct.
 */
import { randomBytes } from 'node:crypto';

const GREGORIAN_OFFSET = 122192928000000000n; // 100 ns ticks between 1582-10-15 and 1970-01-01
const node = randomBytes(6);
node[0] |= 0x01;
let clockSeq = randomBytes(2).readUInt16BE(0) & 0x3fff;
let lastTicks = 0n;

export function uuid1(): string {
  let ticks = BigInt(Date.now()) * 10000n + GREGORIAN_OFFSET;
  if (ticks <= lastTicks) ticks = lastTicks + 1n;
  lastTicks = ticks;
  const timeLow = ticks & 0xffffffffn;
  const timeMid = (ticks >> 32n) & 0xffffn;
  const timeHi = ((ticks >> 48n) & 0x0fffn) | 0x1000n;
  const seq = (clockSeq & 0x3fff) | 0x8000;
  const hex = (n: bigint | number, width: number) => n.toString(16).padStart(width, '0');
  return `${hex(timeLow, 8)}-${hex(timeMid, 4)}-${hex(timeHi, 4)}-${hex(seq, 4)}-${node.toString('hex')}`;
}

/** For tests: a new clock sequence (as after a clock regression). */
export function resetClockSeq(): void {
  clockSeq = randomBytes(2).readUInt16BE(0) & 0x3fff;
}

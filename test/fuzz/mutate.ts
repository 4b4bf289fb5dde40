/**
 * Byte-level damage to requests: truncation, bit flips, insertions, wrong wire types, huge length prefixes, random
 * bytes, and messages nested far deeper than any parser allows (length-delimited and group nesting, deep structs).
 */
import type { Rng } from './generate';

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function tag(field: number, wireType: number): number[] {
  return varint(BigInt((field << 3) | wireType));
}

/** A length-delimited field. */
export function ld(field: number, payload: Uint8Array): Uint8Array {
  return cat(tag(field, 2), varint(BigInt(payload.length)), payload);
}

const cat = (...parts: ArrayLike<number>[]) => Buffer.concat(parts.map((p) => Buffer.from(p as Uint8Array)));

export function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  const b = Uint8Array.from(input);
  switch (rng.int(0, 8)) {
    case 0: // truncated
      return b.subarray(0, rng.int(0, Math.max(0, b.length - 1)));
    case 1: {
      // bit flips
      for (let i = rng.int(1, 8); i > 0 && b.length > 0; i--) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
      return b;
    }
    case 2: {
      // random bytes inserted
      const at = rng.int(0, b.length);
      return cat(b.subarray(0, at), rng.bytes(rng.int(1, 16)), b.subarray(at));
    }
    case 3: {
      // a byte range deleted
      const at = rng.int(0, b.length);
      return cat(b.subarray(0, at), b.subarray(Math.min(b.length, at + rng.int(1, 8))));
    }
    case 4: {
      // the first tag's wire type changed
      if (b.length > 0) b[0] = (b[0] & ~7) | rng.pick([0, 1, 2, 3, 4, 5, 6, 7]);
      return b;
    }
    case 5: // a field claiming a huge length
      return cat(
        b,
        tag(rng.int(1, 20), 2),
        varint(rng.pick([0xffffffffn, 1n << 31n, 1n << 62n, 0xffffffffffffffffn])),
        [1, 2, 3],
      );
    case 6: // a varint that never ends
      return cat(b, tag(rng.int(1, 20), 0), new Array(rng.int(10, 40)).fill(0xff));
    case 7: // duplicated: the message twice (repeated fields doubled, singular ones overwritten)
      return cat(b, b);
    default:
      return rng.bytes(rng.int(0, 512));
  }
}

/** Field 1 wrapped in itself `depth` times: far deeper than protobuf's recursion limit of 100. */
export function deepLengthDelimited(depth: number): Uint8Array {
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < depth; i++) inner = ld(1, inner);
  return inner;
}

/** Unknown start groups nested `depth` times, closed properly. */
export function deepGroups(depth: number): Uint8Array {
  const open = tag(15, 3);
  const close = tag(15, 4);
  const out: number[] = [];
  for (let i = 0; i < depth; i++) out.push(...open);
  for (let i = 0; i < depth; i++) out.push(...close);
  return Uint8Array.from(out);
}

/**
 * A PutArtifactsRequest whose artifact has a custom property holding a Struct nested `depth` levels: Artifact is
 * field 1, custom_properties field 5 (a map entry: key 1, value 2), ml_metadata.Value.struct_value field 4,
 * Struct.fields field 1 (map entry), google.protobuf.Value.struct_value field 5 and number_value field 2.
 */
export function deepStructPutArtifacts(typeId: bigint, depth: number): Uint8Array {
  const entry = (key: string, value: Uint8Array) => Uint8Array.from([...ld(1, Buffer.from(key)), ...ld(2, value)]);
  let struct = ld(1, entry('leaf', Uint8Array.from([...tag(2, 1), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f])));
  for (let i = 1; i < depth; i++) struct = ld(1, entry('k', ld(5, struct)));
  const mlmdValue = ld(4, struct);
  const artifact = Uint8Array.from([...tag(2, 0), ...varint(typeId), ...ld(5, entry('deep', mlmdValue))]);
  return ld(1, artifact);
}

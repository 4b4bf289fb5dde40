/**
 * Request generators: a seeded PRNG, hostile values, hostile filter_query strings, and well-formed messages of any
 * request type built from its descriptor (every field kind, oneofs, maps, nested messages, Struct and Any), with
 * field-aware values where a field name says what it is (ids, filter_query, page tokens, hop counts, page sizes).
 */
import { create, toBinary, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';

/** mulberry32: small, fast, and the same sequence for the same seed. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

export const ONE_MB = 1 << 20;

/** Strings that broke or could break something: sizes, NUL, encodings, SQL and filter syntax, MLMD's own markers. */
export function hostileString(rng: Rng): string {
  switch (rng.int(0, 15)) {
    case 0:
      return '';
    case 1:
      // 1 MB names, long index keys, long values
      return 'x'.repeat(rng.chance(0.03) ? ONE_MB : rng.chance(0.2) ? rng.int(4096, 70_000) : rng.int(256, 4096));
    case 2:
      return `nul\u0000byte\u0000${rng.int(0, 1e6)}`;
    case 3:
      return `mlmd-struct::${Buffer.from(rng.bytes(rng.int(0, 12))).toString('base64')}`;
    case 4:
      return "'; DROP TABLE Artifact; --";
    case 5:
      return `ünïcødé 名前 😀 ${rng.int(0, 1e6)}`;
    case 6:
      return '\uFFFD\u202E\u0301\uD83D\uDE00';
    case 7:
      return '%_\\%\\_';
    case 8:
      return 'a/b/../../c';
    case 9:
      return String.fromCharCode(...Array.from({ length: rng.int(1, 40) }, () => rng.int(0, 0xd7ff)));
    default:
      return `s${rng.int(0, 1e9)}`;
  }
}

export function hostileDouble(rng: Rng): number {
  return rng.pick([
    NaN,
    Infinity,
    -Infinity,
    -0,
    0,
    1e308,
    1.7976931348623157e308,
    5e-324,
    0.1 + 0.2,
    rng.next() * 1e6,
  ]);
}

export function hostileInt64(rng: Rng): bigint {
  return rng.pick([0n, 1n, -1n, 2n, 100n, INT64_MAX, INT64_MIN, 1n << 31n, 1n << 53n, BigInt(rng.int(-1e6, 1e6))]);
}

/** Filter text: the issue's freezing queries, every limit just past it, syntax garbage and random grammar. */
export function hostileFilter(rng: Rng): string {
  const n = (k: number, f: (i: number) => string, sep: string) => Array.from({ length: k }, (_, i) => f(i)).join(sep);
  const prefix = rng.pick(['contexts_', 'artifacts_', 'executions_', 'events_', 'parent_contexts_', 'child_contexts_']);
  switch (rng.int(0, 19)) {
    case 0:
      return n(rng.int(1, 30), (i) => `contexts_a${i}.name != 'x'`, ' AND ');
    case 1:
      return n(rng.int(1, 12), (i) => `artifacts_a${i}.uri != 'x'`, ' AND ');
    case 2:
      return `${'('.repeat(rng.int(50, 1200))}id = 1${')'.repeat(rng.int(50, 1200))}`;
    case 3:
      return `${'NOT '.repeat(rng.int(50, 1200))}id = 1`;
    case 4:
      return `id = ${'- '.repeat(rng.int(50, 1200))}1`;
    case 5:
      return `id = ${n(rng.int(50, 3000), () => 'id', rng.pick([' + ', ' * ', ' - ']))}`;
    case 6:
      return `id IN (${n(rng.chance(0.3) ? 32_768 : rng.int(1, 12_000), () => `${rng.int(0, 99)}`, ',')})`;
    case 7:
      return n(rng.int(1, 120), (i) => `custom_properties.p${i}.int_value = ${i}`, ' OR ');
    case 8:
      return `${prefix}a.id + ${prefix}b.id + ${prefix}c.id = 1`;
    case 9:
      return `events_a.execution_id = events_b.execution_id AND events_a.type = OUTPUT`;
    case 10:
      return `name LIKE '${n(rng.int(1, 60), () => '%a', '')}%b'`;
    case 11:
      return `uri = '${'y'.repeat(rng.int(1000, 120_000))}'`;
    case 12:
      return Buffer.from(rng.bytes(rng.int(0, 200))).toString('latin1');
    case 13:
      return `state IN (${n(rng.int(1, 30), () => rng.pick(['LIVE', 'DELETED', 'BOGUS', '7', 'NULL']), ', ')})`;
    case 14:
      return `type = 'T' AND properties.\`${hostileString(rng).slice(0, 100)}\`.string_value = 'v'`;
    case 15:
      return `${n(rng.int(100, 6000), (i) => `id = ${i}`, ' OR ')}`;
    case 16:
      return `'${'\\'.repeat(rng.int(1, 1000))}`;
    case 17:
      return `/* ${'*'.repeat(rng.int(0, 1000))}`;
    default:
      return randomFilter(rng, 0);
  }
}

/** A filter from the grammar, with random names, operators and nesting. */
function randomFilter(rng: Rng, depth: number): string {
  const atom = () =>
    rng.pick([
      'id',
      'name',
      'uri',
      'type',
      'state',
      'create_time_since_epoch',
      `contexts_${rng.pick(['a', 'b'])}.name`,
      `events_${rng.pick(['a', 'b'])}.type`,
      `properties.p.int_value`,
      `custom_properties.q.string_value`,
      `${rng.int(-5, 5)}`,
      `'${rng.int(0, 9)}'`,
      'NULL',
      'TRUE',
      '1.5e3',
    ]);
  if (depth > 6 || rng.chance(0.3)) return `${atom()} ${rng.pick(['=', '!=', '<', '>=', 'LIKE', 'IS'])} ${atom()}`;
  switch (rng.int(0, 4)) {
    case 0:
      return `(${randomFilter(rng, depth + 1)}) ${rng.pick(['AND', 'OR'])} (${randomFilter(rng, depth + 1)})`;
    case 1:
      return `NOT ${randomFilter(rng, depth + 1)}`;
    case 2:
      return `${atom()} ${rng.pick(['IN', 'NOT IN'])} (${atom()}, ${atom()})`;
    case 3:
      return `${atom()} BETWEEN ${atom()} AND ${atom()}`;
    default:
      return `${atom()} ${rng.pick(['+', '-', '*', '/'])} ${atom()} = ${atom()}`;
  }
}

/** Page tokens: garbage text, garbage bytes as base64, empty. */
export function hostileToken(rng: Rng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return Buffer.from(rng.bytes(rng.int(1, 300))).toString('base64url');
    case 1:
      return hostileString(rng);
    case 2:
      return '!!!not base64!!!';
    default:
      return Buffer.from(rng.bytes(rng.int(1, 40))).toString('base64');
  }
}

export interface IdSource {
  /** Ids of the seeded records (for reads). */
  seeded: readonly bigint[];
  /** Ids of the seeded types (writes may create nodes of them: that changes no seeded record). */
  typeIds: readonly bigint[];
}

/**
 * Well-formed messages of any type, from its descriptor. Ids: reads name seeded records or any id; writes name ids
 * outside the seeded range or random ones (mutated bytes may still hit a seeded id: such records are then excluded
 * from the byte-identity check, see run.ts).
 */
export class MessageGenerator {
  constructor(
    private readonly rng: Rng,
    private readonly ids: IdSource,
  ) {}

  bytes(desc: DescMessage, forWrite: boolean): Uint8Array {
    return toBinary(desc, create(desc, this.message(desc, 0, forWrite) as never));
  }

  private message(desc: DescMessage, depth: number, forWrite: boolean): Record<string, unknown> {
    const init: Record<string, unknown> = {};
    const keep = depth === 0 ? 0.7 : Math.max(0.1, 0.6 - depth * 0.1);
    for (const oneof of desc.oneofs) {
      if (!this.rng.chance(keep)) continue;
      const f = this.rng.pick(oneof.fields);
      init[oneof.localName] = { case: f.localName, value: this.single(f, depth, forWrite) };
    }
    for (const f of desc.fields) {
      if (f.oneof || depth > 7 || !this.rng.chance(keep)) continue;
      init[f.localName] = this.field(f, depth, forWrite);
    }
    return init;
  }

  private field(f: DescField, depth: number, forWrite: boolean): unknown {
    switch (f.fieldKind) {
      case 'list': {
        // 100k-element id lists (the other lists stay short: 100k long strings would only exhaust the fuzzer)
        const integers = f.listKind === 'scalar' && /INT64/.test(ScalarType[f.scalar]);
        if (integers && this.rng.chance(0.02))
          return Array.from({ length: this.rng.int(10_000, 100_000) }, () => hostileInt64(this.rng));
        const count = this.rng.int(0, depth > 3 ? 1 : 4);
        return Array.from({ length: count }, () => this.single(f, depth, forWrite));
      }
      case 'map': {
        const out: Record<string, unknown> = {};
        for (let i = this.rng.int(0, 3); i > 0; i--) {
          const key = this.rng.chance(0.7) ? `k${this.rng.int(0, 5)}` : hostileString(this.rng).slice(0, 2000);
          out[key] =
            f.mapKind === 'message'
              ? this.message(f.message, depth + 1, forWrite)
              : f.mapKind === 'enum'
                ? this.enumValue(f.enum.values.map((v) => v.number))
                : this.scalar(f.scalar, f.name, forWrite);
        }
        return out;
      }
      default:
        return this.single(f, depth, forWrite);
    }
  }

  /** One value of a field (an element, for lists). */
  private single(f: DescField, depth: number, forWrite: boolean): unknown {
    if (f.fieldKind === 'message' || (f.fieldKind === 'list' && f.listKind === 'message'))
      return this.message(f.message!, depth + 1, forWrite);
    if (f.fieldKind === 'enum' || (f.fieldKind === 'list' && f.listKind === 'enum'))
      return this.enumValue(f.enum!.values.map((v) => v.number));
    if (f.fieldKind === 'scalar' || (f.fieldKind === 'list' && f.listKind === 'scalar'))
      return this.scalar(f.scalar!, f.name, forWrite);
    return undefined;
  }

  private enumValue(values: number[]): number {
    return this.rng.chance(0.85) ? this.rng.pick(values) : this.rng.pick([-1, 99, 0x7fffffff]);
  }

  private scalar(type: ScalarType, name: string, forWrite: boolean): unknown {
    const rng = this.rng;
    if (name === 'filter_query') return rng.chance(0.8) ? hostileFilter(rng) : '';
    if (name === 'next_page_token') return hostileToken(rng);
    switch (type) {
      case ScalarType.STRING:
        return hostileString(rng);
      case ScalarType.BYTES:
        return rng.bytes(rng.int(0, 64));
      case ScalarType.BOOL:
        return rng.chance(0.5);
      case ScalarType.DOUBLE:
      case ScalarType.FLOAT:
        return type === ScalarType.FLOAT ? Math.fround(hostileDouble(rng)) : hostileDouble(rng);
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64:
        return this.int64(name, forWrite);
      case ScalarType.UINT64:
      case ScalarType.FIXED64: {
        const v = this.int64(name, forWrite);
        return v < 0n ? -v : v;
      }
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return rng.pick([0, 1, 20, 100, 0xffffffff]);
      default:
        // int32 and friends: page sizes and the like
        return rng.pick([-2147483648, -1, 0, 1, 20, 100, 101, 2147483647, rng.int(-1000, 1000)]);
    }
  }

  private int64(name: string, forWrite: boolean): bigint {
    const rng = this.rng;
    if (/hops|node_size/.test(name)) return rng.pick([-1n, 0n, 1n, 2n, 100n, 1n << 62n, INT64_MAX, INT64_MIN]);
    if (name === 'type_id' && this.ids.typeIds.length > 0 && rng.chance(0.7)) return rng.pick(this.ids.typeIds);
    if (/(^|_)ids?$/.test(name) && this.ids.seeded.length > 0) {
      if (!forWrite && rng.chance(0.6)) return rng.pick(this.ids.seeded);
      const top = this.ids.seeded.reduce((a, b) => (a > b ? a : b));
      return rng.chance(0.5) ? top + BigInt(rng.int(1, 5000)) : hostileInt64(rng);
    }
    return hostileInt64(rng);
  }
}

/** Values as cmflib's graph layer writes them: Python's str() and repr(float), its key sanitising, list order. */
import type { PlainValue } from './model';

/** Python's str() of a value, as cmflib's graph layer writes every CMF property. */
export function pyStr(v: PlainValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyFloat(v);
  return v;
}

/** repr(float): shortest round-trip digits; exponent form below 1e-4 or from 1e16, as "1e-05" / "1e+16". */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mant, exp] = x.toExponential().split('e');
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = String(x);
  if (s.includes('e')) {
    // JS switches to exponent form only below 1e-6 (handled above) or from 1e21 (handled above).
    return s;
  }
  return s.includes('.') ? s : `${s}.0`;
}

/** cmflib's property-key sanitising: every non-word character removed (Python's Unicode-aware \W). */
export function sanitizeKey(key: string): string {
  return key.replace(/[^\p{L}\p{N}\p{M}_]+/gu, '');
}

/** Keeps the last occurrence of each value ("(existing without v) + v" applied in order). */
export function moveToEnd(values: Iterable<string>): string[] {
  const out: string[] = [];
  for (const v of values) {
    const i = out.indexOf(v);
    if (i >= 0) out.splice(i, 1);
    out.push(v);
  }
  return out;
}

export const basename = (path: string): string => {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
};

/** `<path>:<hash>` -> path (the last ':' separates the hash; paths may hold ':' themselves). */
export const pathOf = (pathAndHash: string): string => {
  const i = pathAndHash.lastIndexOf(':');
  return i < 0 ? pathAndHash : pathAndHash.slice(0, i);
};

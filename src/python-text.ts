/**
 * Python's text forms of values, which cmflib stores: `str(float)` (the shortest repr, with Python's switch to
 * exponent notation), `repr(str)` and `repr(list)` (used for the default `Execution` command and for the
 * environment file name's hash), and json.dumps. Like errors.ts it imports nothing, so the CMF domain and the SDK both use it.
 */

/** `str(x)` / `repr(x)` of a Python float. */
export function pyFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without a digit count gives the shortest digits that round-trip, as Python's repr does.
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
    }
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
}

/** `repr(s)` of a Python str (quote choice and escapes as CPython does for printable text). */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** `repr()` / `str()` of a JSON-like value as Python would print the equivalent object. */
export function pyRepr(value: unknown, top = true): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) < 2 ** 53 ? value.toFixed(0) : pyFloatStr(value);
  if (typeof value === 'string') return top ? value : pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map((v) => pyRepr(v, false)).join(', ')}]`;
  if (value instanceof Map)
    return `{${[...value].map(([k, v]) => `${pyRepr(k, false)}: ${pyRepr(v, false)}`).join(', ')}}`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v, false)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** `repr(list_of_str)`, e.g. the default `Execution` command `['src/parse.py', 'a']`. */
export function pyListRepr(items: readonly string[]): string {
  return `[${items.map(pyStrRepr).join(', ')}]`;
}

/** A number that Python holds as a float (printed with a decimal point or exponent, e.g. 20.0). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyJson = null | boolean | string | bigint | number | PyFloat | PyJson[] | { [key: string]: PyJson };

function pyJsonString(s: string): string {
  // ensure_ascii=True: everything outside printable ASCII is \uXXXX (UTF-16 units, as surrogate pairs).
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * `json.dumps(value, sort_keys=sortKeys)` with Python's defaults: separators ", " and ": ", ensure_ascii, floats
 * as repr (NaN / Infinity spelled as Python does). JS numbers print as ints when integral, else as floats.
 */
export function pyJsonDumps(value: PyJson, sortKeys = false): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return pyJsonString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PyFloat || typeof value === 'number') {
    const x = value instanceof PyFloat ? value.value : value;
    if (Number.isNaN(x)) return 'NaN';
    if (x === Infinity) return 'Infinity';
    if (x === -Infinity) return '-Infinity';
    if (typeof value === 'number' && Number.isInteger(x)) return x.toFixed(0);
    return pyFloatStr(x);
  }
  if (Array.isArray(value)) return `[${value.map((v) => pyJsonDumps(v, sortKeys)).join(', ')}]`;
  let keys = Object.keys(value);
  if (sortKeys) keys = keys.sort(comparePyStr);
  return `{${keys.map((k) => `${pyJsonString(k)}: ${pyJsonDumps(value[k], sortKeys)}`).join(', ')}}`;
}

/** Python's str ordering: by code point (JS's default sort compares UTF-16 units, which differs above U+FFFF). */
export function comparePyStr(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const JSON_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** A JSON text that `pyJsonLoads` refuses, with the character offset of the problem. */
export class PyJsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'PyJsonSyntaxError';
  }
}

/**
 * `json.loads` as Python reads JSON: integers stay exact (a number while safe, else a bigint), floats are kept apart
 * from integers (PyFloat: a
 * Python float `2.0` and an int `2` store differently in MLMD), NaN / Infinity / -Infinity are accepted, duplicate
 * keys keep the last value. Stricter where JS input is hostile: nesting deeper than `maxDepth` is refused (no stack
 * overflow), and objects have no prototype, so a key like `__proto__` is just a key.
 */
export function pyJsonLoads(text: string, maxDepth = 64): PyJson {
  let i = 0;
  const fail = (message: string): never => {
    throw new PyJsonSyntaxError(message, i);
  };
  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const expectWord = (word: string): void => {
    if (!text.startsWith(word, i)) fail('invalid literal');
    i += word.length;
  };
  const parseString = (): string => {
    i++; // opening quote
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(runStart, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(runStart, i);
      const e = text[i + 1];
      i += 2;
      if (e === 'u') {
        const hex = text.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else {
        if (e === undefined || !Object.hasOwn(JSON_ESCAPES, e)) fail('invalid escape');
        out += JSON_ESCAPES[e];
      }
      runStart = i;
    }
  };
  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  const parseNumber = (): PyJson => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) {
      i++;
      if (text.startsWith('Infinity', i)) {
        i += 8;
        return new PyFloat(-Infinity);
      }
    }
    if (text.charCodeAt(i) === 0x30) i++;
    else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
    else fail('invalid number');
    let float = false;
    if (text.charCodeAt(i) === 0x2e) {
      float = true;
      i++;
      if (!isDigit(text.charCodeAt(i))) fail('invalid number');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      float = true;
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(text.charCodeAt(i))) fail('invalid number');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const literal = text.slice(start, i);
    if (float) return new PyFloat(Number(literal));
    // Integers: a JS number while exact (pyJsonDumps prints an integral number as an int), else a bigint.
    const n = Number(literal);
    return Number.isSafeInteger(n) ? n : BigInt(literal);
  };
  const parseValue = (depth: number): PyJson => {
    skipSpace();
    const c = text.charCodeAt(i);
    if (c === 0x22) return parseString();
    if (c === 0x7b || c === 0x5b) {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      return c === 0x7b ? parseObject(depth + 1) : parseArray(depth + 1);
    }
    if (c === 0x2d || isDigit(c)) return parseNumber();
    if (c === 0x74) return (expectWord('true'), true);
    if (c === 0x66) return (expectWord('false'), false);
    if (c === 0x6e) return (expectWord('null'), null);
    if (c === 0x4e) return (expectWord('NaN'), new PyFloat(NaN));
    if (c === 0x49) return (expectWord('Infinity'), new PyFloat(Infinity));
    return fail(Number.isNaN(c) ? 'unexpected end of text' : `unexpected character ${JSON.stringify(text[i])}`);
  };
  /** After an element: true at the closing bracket (consumed), false at a comma (consumed). */
  const endOf = (close: number, what: string): boolean => {
    skipSpace();
    const c = text.charCodeAt(i++);
    if (c === 0x2c) return false;
    if (c === close) return true;
    i--;
    return fail(`expected "," or "${what}"`);
  };
  const parseArray = (depth: number): PyJson[] => {
    i++;
    const out: PyJson[] = [];
    skipSpace();
    if (text.charCodeAt(i) === 0x5d) {
      i++;
      return out;
    }
    do out.push(parseValue(depth));
    while (!endOf(0x5d, ']'));
    return out;
  };
  const parseObject = (depth: number): { [key: string]: PyJson } => {
    i++;
    const out = Object.create(null) as { [key: string]: PyJson };
    skipSpace();
    if (text.charCodeAt(i) === 0x7d) {
      i++;
      return out;
    }
    do {
      skipSpace();
      if (text.charCodeAt(i) !== 0x22) fail('expected a property name');
      const key = parseString();
      skipSpace();
      if (text.charCodeAt(i) !== 0x3a) fail('expected ":"');
      i++;
      out[key] = parseValue(depth);
    } while (!endOf(0x7d, '}'));
    return out;
  };
  const value = parseValue(0);
  skipSpace();
  if (i !== text.length) fail('extra data after the value');
  return value;
}

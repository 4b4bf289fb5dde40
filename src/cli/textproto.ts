/**
 * A protobuf text-format parser, driven by a message schema so that unknown field names, wrong value kinds and
 * repeated singular fields are rejected with the line they occur on (a silently ignored typo in a server config
 * would point the server at the wrong database).
 *
 * Supported: nested messages in `{}` or `<>` with an optional `:`; `[a, b]` lists and repeated fields; enum names
 * or numbers; single- or double-quoted strings with C escapes (\n, \t, octal \NNN, hex \xNN, \uXXXX, ...) and
 * adjacent-literal concatenation; bools; decimal, hex and octal integers; floats; `#` comments; `,`/`;` separators.
 * Not supported (not needed for server configs): extensions and Any expansion (`[type.googleapis.com/...]`).
 *
 * The result is a plain object keyed by proto field names, in the shape ts-proto's `fromJSON` accepts
 * (64-bit integers as decimal strings, enums as names, bytes as base64).
 */

export type ScalarKind =
  | 'string'
  | 'bytes'
  | 'bool'
  | 'int32'
  | 'sint32'
  | 'sfixed32'
  | 'uint32'
  | 'fixed32'
  | 'int64'
  | 'sint64'
  | 'sfixed64'
  | 'uint64'
  | 'fixed64'
  | 'float'
  | 'double';

export type FieldSchema = { name: string; repeated: boolean } & (
  | { kind: 'message'; message: () => MessageSchema }
  | { kind: 'enum'; enumName: string; values: ReadonlyMap<string, number> }
  | { kind: ScalarKind }
);

export interface MessageSchema {
  /** Fully qualified name, used in error messages. */
  name: string;
  fields: ReadonlyMap<string, FieldSchema>;
}

export type TextValue = string | number | boolean | TextMessage | TextValue[];
export interface TextMessage {
  [field: string]: TextValue;
}

export class TextProtoError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = 'TextProtoError';
  }
}

type TokenKind = 'ident' | 'number' | 'string' | 'punct' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded bytes of a string literal. */
  bytes?: Uint8Array;
  line: number;
  column: number;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 0x0a,
  t: 0x09,
  r: 0x0d,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  v: 0x0b,
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  '?': 0x3f,
};

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly src: string) {}

  private fail(message: string, at = this.pos): never {
    throw new TextProtoError(message, this.line, at - this.lineStart + 1);
  }

  private skipSpaceAndComments(): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '\n') {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
      } else if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      } else {
        return;
      }
    }
  }

  next(): Token {
    this.skipSpaceAndComments();
    const line = this.line;
    const column = this.pos - this.lineStart + 1;
    const start = this.pos;
    if (this.pos >= this.src.length) return { kind: 'eof', text: '', line, column };
    const c = this.src[this.pos];
    if (/[A-Za-z_]/.test(c)) {
      while (this.pos < this.src.length && /[A-Za-z0-9_]/.test(this.src[this.pos])) this.pos++;
      return { kind: 'ident', text: this.src.slice(start, this.pos), line, column };
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(this.src[this.pos + 1] ?? ''))) {
      // A number runs to the next character that cannot continue it; validity is checked by the value parser.
      while (this.pos < this.src.length && /[A-Za-z0-9_.+-]/.test(this.src[this.pos])) {
        const ch = this.src[this.pos];
        if ((ch === '+' || ch === '-') && !/[eE]/.test(this.src[this.pos - 1])) break;
        this.pos++;
      }
      return { kind: 'number', text: this.src.slice(start, this.pos), line, column };
    }
    if (c === '"' || c === "'") return { kind: 'string', text: c, bytes: this.string(c), line, column };
    if ('{}<>:[],;-/.'.includes(c)) {
      this.pos++;
      return { kind: 'punct', text: c, line, column };
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  /** Reads a quoted literal (opening quote at pos) and returns its decoded bytes. */
  private string(quote: string): Uint8Array {
    const out: number[] = [];
    const encoder = new TextEncoder();
    this.pos++;
    for (;;) {
      if (this.pos >= this.src.length || this.src[this.pos] === '\n') this.fail('unterminated string literal');
      const c = this.src[this.pos];
      if (c === quote) {
        this.pos++;
        return Uint8Array.from(out);
      }
      if (c !== '\\') {
        const cp = this.src.codePointAt(this.pos) ?? 0;
        const ch = String.fromCodePoint(cp);
        out.push(...encoder.encode(ch));
        this.pos += ch.length;
        continue;
      }
      const escapeAt = this.pos;
      const e = this.src[this.pos + 1] ?? '';
      this.pos += 2;
      if (e in SIMPLE_ESCAPES) {
        out.push(SIMPLE_ESCAPES[e]);
      } else if (/[0-7]/.test(e)) {
        let digits = e;
        while (digits.length < 3 && /[0-7]/.test(this.src[this.pos] ?? '')) digits += this.src[this.pos++];
        const value = parseInt(digits, 8);
        if (value > 0xff) this.fail(`octal escape \\${digits} is larger than a byte`, escapeAt);
        out.push(value);
      } else if (e === 'x' || e === 'X') {
        let digits = '';
        while (digits.length < 2 && /[0-9a-fA-F]/.test(this.src[this.pos] ?? '')) digits += this.src[this.pos++];
        if (digits === '') this.fail('\\x escape without hex digits', escapeAt);
        out.push(parseInt(digits, 16));
      } else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const digits = this.src.slice(this.pos, this.pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) this.fail(`\\${e} escape needs ${n} hex digits`, escapeAt);
        this.pos += n;
        const cp = parseInt(digits, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
          this.fail(`\\${e}${digits} is not a valid code point`, escapeAt);
        out.push(...encoder.encode(String.fromCodePoint(cp)));
      } else {
        this.fail(`unknown escape sequence \\${e}`, escapeAt);
      }
    }
  }
}

const INT_RANGES: Partial<Record<ScalarKind, [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** Parses a text-format integer literal (decimal, 0x hex or 0-prefixed octal); undefined if it is not one. */
function parseIntLiteral(text: string): bigint | undefined {
  if (/^(0|[1-9][0-9]*)$/.test(text)) return BigInt(text);
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return BigInt(text);
  if (/^0[0-7]+$/.test(text)) return BigInt(`0o${text.slice(1)}`);
  return undefined;
}

class Parser {
  private tok: Token;
  private readonly lexer: Lexer;

  constructor(src: string) {
    this.lexer = new Lexer(src);
    this.tok = this.lexer.next();
  }

  private fail(message: string, at: Token = this.tok): never {
    throw new TextProtoError(message, at.line, at.column);
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  private isPunct(text: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === text;
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text)) this.fail(`expected "${text}" but found ${this.describe(this.tok)}`);
    this.advance();
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of input';
    if (t.kind === 'string') return 'a string';
    return `"${t.text}"`;
  }

  parseMessage(schema: MessageSchema, closer: string | undefined): TextMessage {
    const result: TextMessage = {};
    for (;;) {
      if (closer === undefined ? this.tok.kind === 'eof' : this.isPunct(closer)) {
        this.advance();
        return result;
      }
      if (this.tok.kind === 'eof') this.fail(`expected "${closer}" to close ${schema.name} but input ended`);
      if (this.isPunct('[')) this.fail('extensions and Any expansion are not supported in this config');
      if (this.tok.kind !== 'ident')
        this.fail(`expected a field name of ${schema.name} but found ${this.describe(this.tok)}`);
      const nameTok = this.advance();
      const field = schema.fields.get(nameTok.text);
      if (field === undefined) this.fail(`unknown field "${nameTok.text}" in ${schema.name}`, nameTok);
      if (!field.repeated && nameTok.text in result) {
        this.fail(`field "${nameTok.text}" of ${schema.name} is set more than once`, nameTok);
      }
      const values: TextValue[] = [];
      if (field.kind === 'message') {
        const colon = this.isPunct(':');
        if (colon) this.advance();
        if (colon && this.isPunct('[')) this.parseList(() => this.parseSubMessage(field), values);
        else values.push(this.parseSubMessage(field));
      } else {
        this.expectPunct(':');
        if (this.isPunct('[')) this.parseList(() => this.parseScalar(field), values);
        else values.push(this.parseScalar(field));
      }
      if (field.repeated) {
        const list = (result[field.name] ??= []) as TextValue[];
        list.push(...values);
      } else {
        if (values.length !== 1) this.fail(`field "${field.name}" of ${schema.name} is not repeated`, nameTok);
        result[field.name] = values[0];
      }
      if (this.isPunct(',') || this.isPunct(';')) this.advance();
    }
  }

  private parseList(item: () => TextValue, into: TextValue[]): void {
    this.expectPunct('[');
    if (this.isPunct(']')) {
      this.advance();
      return;
    }
    for (;;) {
      into.push(item());
      if (this.isPunct(']')) {
        this.advance();
        return;
      }
      this.expectPunct(',');
    }
  }

  private parseSubMessage(field: FieldSchema & { kind: 'message' }): TextMessage {
    if (this.isPunct('{')) {
      this.advance();
      return this.parseMessage(field.message(), '}');
    }
    if (this.isPunct('<')) {
      this.advance();
      return this.parseMessage(field.message(), '>');
    }
    this.fail(`expected "{" or "<" to start message field "${field.name}" but found ${this.describe(this.tok)}`);
  }

  private parseScalar(field: FieldSchema): TextValue {
    const start = this.tok;
    if (field.kind === 'string' || field.kind === 'bytes') {
      if (this.tok.kind !== 'string') this.fail(`field "${field.name}" needs a quoted string`);
      const parts: Uint8Array[] = [];
      while (this.tok.kind === 'string') parts.push(this.advance().bytes ?? new Uint8Array());
      const bytes = Buffer.concat(parts);
      if (field.kind === 'bytes') return bytes.toString('base64');
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        this.fail(`string field "${field.name}" is not valid UTF-8`, start);
      }
    }
    let negative = false;
    if (this.isPunct('-')) {
      this.advance();
      negative = true;
    }
    const t = this.advance();
    if (t.kind !== 'ident' && t.kind !== 'number') this.fail(`field "${field.name}" needs a value`, start);
    switch (field.kind) {
      case 'message':
        throw new Error('unreachable: message fields are parsed by parseSubMessage');
      case 'bool': {
        if (negative) break;
        if (['true', 'True', 't', '1'].includes(t.text)) return true;
        if (['false', 'False', 'f', '0'].includes(t.text)) return false;
        break;
      }
      case 'enum': {
        if (t.kind === 'ident' && !negative) {
          if (field.values.has(t.text)) return t.text;
          this.fail(`unknown value "${t.text}" for enum ${field.enumName} (field "${field.name}")`, t);
        }
        const n = parseIntLiteral(t.text);
        if (n === undefined) break;
        const value = Number(negative ? -n : n);
        for (const [name, number] of field.values) if (number === value) return name;
        this.fail(`enum ${field.enumName} has no value numbered ${value}`, start);
      }
      case 'float':
      case 'double': {
        // A trailing f/F (as in 1.5f) is allowed on numbers, not on the inf/nan words.
        const text = t.kind === 'number' ? t.text.replace(/[fF]$/, '') : t.text;
        let value: number | undefined;
        if (/^(inf|infinity)$/i.test(text)) value = Infinity;
        else if (/^nan$/i.test(text)) value = NaN;
        else if (t.kind === 'number' && /^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text))
          value = Number(text);
        else {
          const n = parseIntLiteral(text);
          if (n !== undefined) value = Number(n);
        }
        if (value === undefined) break;
        return negative ? -value : value;
      }
      default: {
        const n = parseIntLiteral(t.text);
        if (n === undefined) break;
        const v = negative ? -n : n;
        const [lo, hi] = INT_RANGES[field.kind] ?? [0n, 0n];
        if (v < lo || v > hi) this.fail(`value ${v} is out of range for ${field.kind} field "${field.name}"`, start);
        // 64-bit values stay strings so no precision is lost; fromJSON turns them into bigint.
        return field.kind.endsWith('64') ? v.toString() : Number(v);
      }
    }
    this.fail(`invalid value ${negative ? '-' : ''}${t.text} for ${field.kind} field "${field.name}"`, start);
  }
}

/** Parses `text` as a message of type `schema`. Throws TextProtoError with line and column on any problem. */
export function parseTextProto(text: string, schema: MessageSchema): TextMessage {
  return new Parser(text).parseMessage(schema, undefined);
}

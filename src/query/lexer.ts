/**
 * The filter_query lexer: the part of ZetaSQL's lexical grammar a filter needs.
 *
 * - Keywords (case-insensitive): AND OR NOT LIKE IN IS NULL TRUE FALSE BETWEEN. Every other word is an identifier.
 * - Strings: '…' or "…" with backslash escapes, triple-quoted '''…''' / """…""", raw r'…' (no escapes). A doubled
 *   quote is not an escape: it ends the literal.
 * - Numbers: decimal and 0x hex integers; floats 1.5, .5, 1e3, 1.5e-3.
 * - Backquoted identifiers `…` (anything but a backquote), used for property names.
 * - Comments: -- and # to the end of the line, and block comments.
 * - A word written directly after a path dot (`properties.0.int_value`) may start with a digit: it is a name
 *   segment, never a number or a keyword.
 */
import { syntaxError } from './errors';

export type TokenKind = 'ident' | 'quoted_ident' | 'keyword' | 'string' | 'int' | 'float' | 'op' | 'eof';

export const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'LIKE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'BETWEEN']);

export interface Token {
  kind: TokenKind;
  /** ident / quoted_ident: the name; keyword: upper case; op: the operator; string: the decoded value. */
  text: string;
  /** int literals. */
  int?: bigint;
  /** float literals. */
  float?: number;
  /** Offsets into the query: [start, end). */
  start: number;
  end: number;
  /** True when whitespace or a comment separates this token from the previous one. */
  spaced: boolean;
}

const OPERATORS = ['<=', '>=', '!=', '<>', '=', '<', '>', '+', '-', '*', '/', '(', ')', ',', '.'];
const WORD = /[0-9A-Za-z_]/;
const IDENT_START = /[A-Za-z_]/;
const DIGIT = /[0-9]/;
const HEX = /[0-9A-Fa-f]/;
const SPACE = /[ \t\n\r\f\v]/;

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '?': '?',
  '"': '"',
  "'": "'",
  '`': '`',
};

export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'keyword':
      return `keyword ${t.text}`;
    case 'ident':
      return `identifier "${t.text}"`;
    case 'quoted_ident':
      return `identifier \`${t.text}\``;
    case 'string':
      return 'string literal';
    case 'int':
    case 'float':
      return 'number';
    case 'op':
      return `"${t.text}"`;
  }
}

export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = false;
  const n = query.length;

  const push = (kind: TokenKind, text: string, start: number, extra: Partial<Token> = {}) => {
    tokens.push({ kind, text, start, end: i, spaced, ...extra });
    spaced = false;
  };
  const afterPathDot = () => {
    const last = tokens[tokens.length - 1];
    return last !== undefined && last.kind === 'op' && last.text === '.' && !spaced;
  };

  while (i < n) {
    const c = query[i];
    // whitespace and comments
    if (SPACE.test(c)) {
      i++;
      spaced = true;
      continue;
    }
    if (c === '#' || (c === '-' && query[i + 1] === '-')) {
      while (i < n && query[i] !== '\n') i++;
      spaced = true;
      continue;
    }
    if (c === '/' && query[i + 1] === '*') {
      const close = query.indexOf('*/', i + 2);
      if (close < 0) throw syntaxError(query, i, 'Unclosed comment');
      i = close + 2;
      spaced = true;
      continue;
    }
    const start = i;
    // a name segment right after a path dot: [0-9A-Za-z_]+
    if (afterPathDot() && WORD.test(c)) {
      while (i < n && WORD.test(query[i])) i++;
      push('ident', query.slice(start, i), start);
      continue;
    }
    if (c === '`') {
      const close = query.indexOf('`', i + 1);
      if (close < 0) throw syntaxError(query, i, 'Unclosed identifier literal');
      if (close === i + 1) throw syntaxError(query, i, 'Invalid empty identifier');
      i = close + 1;
      push('quoted_ident', query.slice(start + 1, close), start);
      continue;
    }
    // raw strings: r'…', R"…"
    if ((c === 'r' || c === 'R') && (query[i + 1] === "'" || query[i + 1] === '"')) {
      i++;
      const value = readString(query, i, true);
      i = value.end;
      push('string', value.text, start);
      continue;
    }
    if (IDENT_START.test(c)) {
      while (i < n && WORD.test(query[i])) i++;
      const word = query.slice(start, i);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) push('keyword', upper, start);
      else push('ident', word, start);
      continue;
    }
    if (c === "'" || c === '"') {
      const value = readString(query, i, false);
      i = value.end;
      push('string', value.text, start);
      continue;
    }
    const prev = tokens[tokens.length - 1];
    const pathDot =
      c === '.' && prev !== undefined && !spaced && (prev.kind === 'ident' || prev.kind === 'quoted_ident');
    if (DIGIT.test(c) || (c === '.' && !pathDot && DIGIT.test(query[i + 1] ?? ''))) {
      i = readNumber(query, i, push);
      continue;
    }
    const op = OPERATORS.find((o) => query.startsWith(o, i));
    if (op !== undefined) {
      i += op.length;
      push('op', op, start);
      continue;
    }
    const cp = query.codePointAt(i)!;
    throw syntaxError(query, i, `Illegal input character ${JSON.stringify(String.fromCodePoint(cp))}`);
  }
  tokens.push({ kind: 'eof', text: '', start: n, end: n, spaced });
  return tokens;
}

function readNumber(
  query: string,
  start: number,
  push: (kind: TokenKind, text: string, start: number, extra?: Partial<Token>) => void,
): number {
  let i = start;
  const n = query.length;
  const finish = (end: number) => {
    if (end < n && (WORD.test(query[end]) || query[end] === '.')) {
      throw syntaxError(query, end, `Unexpected character ${JSON.stringify(query[end])} after a number`);
    }
    return end;
  };
  if (query[i] === '0' && (query[i + 1] === 'x' || query[i + 1] === 'X') && HEX.test(query[i + 2] ?? '')) {
    i += 2;
    while (i < n && HEX.test(query[i])) i++;
    const text = query.slice(start, i);
    const value = BigInt(text);
    if (value > 0x7fffffffffffffffn) throw syntaxError(query, start, `Invalid integer literal: ${text}`);
    i = finish(i);
    // push after finish so the token's end is right
    pushAt(push, 'int', text, start, { int: value });
    return i;
  }
  let isFloat = false;
  while (i < n && DIGIT.test(query[i])) i++;
  if (query[i] === '.') {
    isFloat = true;
    i++;
    while (i < n && DIGIT.test(query[i])) i++;
  }
  if (query[i] === 'e' || query[i] === 'E') {
    let j = i + 1;
    if (query[j] === '+' || query[j] === '-') j++;
    if (DIGIT.test(query[j] ?? '')) {
      isFloat = true;
      i = j;
      while (i < n && DIGIT.test(query[i])) i++;
    }
  }
  const text = query.slice(start, i);
  i = finish(i);
  if (isFloat) {
    const value = Number(text);
    if (!Number.isFinite(value)) throw syntaxError(query, start, `Invalid floating point literal: ${text}`);
    pushAt(push, 'float', text, start, { float: value });
  } else {
    const value = BigInt(text);
    // 2^63 itself is allowed so that -9223372036854775808 can be written; the parser checks the range.
    if (value > 0x8000000000000000n) throw syntaxError(query, start, `Invalid integer literal: ${text}`);
    pushAt(push, 'int', text, start, { int: value });
  }
  return i;
}

/** `push` records `end` from the lexer position, which the number reader has not advanced; fix it up here. */
function pushAt(
  push: (kind: TokenKind, text: string, start: number, extra?: Partial<Token>) => void,
  kind: TokenKind,
  text: string,
  start: number,
  extra: Partial<Token>,
): void {
  push(kind, text, start, { ...extra, end: start + text.length });
}

function readString(query: string, quoteAt: number, raw: boolean): { text: string; end: number } {
  const q = query[quoteAt];
  const triple = query.startsWith(q.repeat(3), quoteAt);
  const delim = triple ? q.repeat(3) : q;
  let i = quoteAt + delim.length;
  let out = '';
  const n = query.length;
  for (;;) {
    if (i >= n) throw syntaxError(query, quoteAt, 'Unclosed string literal');
    if (query.startsWith(delim, i)) return { text: out, end: i + delim.length };
    const c = query[i];
    if (!triple && (c === '\n' || c === '\r')) throw syntaxError(query, quoteAt, 'Unclosed string literal');
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    // backslash
    if (i + 1 >= n) throw syntaxError(query, quoteAt, 'Unclosed string literal');
    if (raw) {
      // In a raw string a backslash stays, and protects the next character from ending the literal.
      out += c + query[i + 1];
      i += 2;
      continue;
    }
    const e = query[i + 1];
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i += 2;
      continue;
    }
    const hexDigits = e === 'x' || e === 'X' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexDigits > 0) {
      const digits = query.slice(i + 2, i + 2 + hexDigits);
      if (digits.length !== hexDigits || ![...digits].every((d) => HEX.test(d))) {
        throw syntaxError(query, i, `Illegal escape sequence: ${JSON.stringify(query.slice(i, i + 2 + hexDigits))}`);
      }
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        throw syntaxError(query, i, `Illegal escape sequence: invalid code point ${digits}`);
      }
      out += String.fromCodePoint(cp);
      i += 2 + hexDigits;
      continue;
    }
    if (/[0-7]/.test(e)) {
      const digits = query.slice(i + 1, i + 4);
      if (!/^[0-3][0-7]{2}$/.test(digits))
        throw syntaxError(query, i, 'Illegal escape sequence: octal escapes need three digits');
      out += String.fromCodePoint(parseInt(digits, 8));
      i += 4;
      continue;
    }
    throw syntaxError(query, i, `Illegal escape sequence: ${JSON.stringify('\\' + e)}`);
  }
}

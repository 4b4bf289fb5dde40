/**
 * Recursive-descent parser for filter_query. Precedence, tightest first: unary minus; * /; binary + -;
 * comparisons, [NOT] LIKE, [NOT] IN, IS [NOT] NULL, [NOT] BETWEEN (non-associative); NOT; AND; OR.
 *
 *   filter    := or EOF
 *   or        := and { OR and }
 *   and       := not { AND not }
 *   not       := NOT not | predicate
 *   predicate := additive [ cmp additive | [NOT] LIKE additive | [NOT] IN '(' or {',' or} ')'
 *                          | IS [NOT] NULL | [NOT] BETWEEN additive AND additive ]
 *   additive  := term { ('+'|'-') term }
 *   term      := unary { ('*'|'/') unary }
 *   unary     := '-' unary | primary
 *   primary   := literal | path | '(' or ')'
 *   path      := name { '.' name }          (no whitespace around the dots)
 *
 * Limits (limits.ts) are checked while parsing, before the recursion they bound could exhaust the stack: the query's
 * length, its nesting depth (parentheses, NOT, unary minus, IN lists and arithmetic operators each add a level) and
 * the length of an IN list.
 */
import type { ArithOp, CompareOp, Node, PathSegment } from './ast';
import { queryError, syntaxError } from './errors';
import { describeToken, type Token, tokenize } from './lexer';
import { limitError, MAX_FILTER_DEPTH, MAX_FILTER_IN_LIST, MAX_FILTER_QUERY_LENGTH } from './limits';

const COMPARE_OPS = new Set(['=', '!=', '<>', '<', '<=', '>', '>=']);
const INT64_MAX = 0x7fffffffffffffffn;

/** Names after which `IN` must be followed by a parenthesised list of enum names (upstream's message). */
const ENUM_ATTRIBUTE =
  /^(state|last_known_state|(artifacts_[0-9A-Za-z_]+\.state)|(executions_[0-9A-Za-z_]+\.last_known_state)|(events_[0-9A-Za-z_]+\.type))$/;

export function parse(query: string): Node {
  return new Parser(query).parseFilter();
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;
  /** Nesting depth of the node being parsed (see `nested`). */
  private level = 0;

  constructor(private readonly query: string) {
    if (query.length > MAX_FILTER_QUERY_LENGTH) {
      throw limitError(
        query,
        0,
        `The query is ${query.length.toLocaleString('en-US')} characters long`,
        'MAX_FILTER_QUERY_LENGTH',
        MAX_FILTER_QUERY_LENGTH,
      );
    }
    this.tokens = tokenize(query);
  }

  /** Parses one level deeper, refusing to go past MAX_FILTER_DEPTH (the recursion stays far from the stack's end). */
  private nested<T>(at: number, body: () => T): T {
    this.deeper(at);
    try {
      return body();
    } finally {
      this.level--;
    }
  }

  private deeper(at: number): void {
    if (++this.level > MAX_FILTER_DEPTH) {
      throw limitError(this.query, at, 'The expression nests too deeply', 'MAX_FILTER_DEPTH', MAX_FILTER_DEPTH);
    }
  }

  parseFilter(): Node {
    const node = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'eof') throw this.unexpected(t, 'Expected end of input but got');
    return node;
  }

  // ---- token helpers ----
  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }
  private isKeyword(t: Token, kw: string): boolean {
    return t.kind === 'keyword' && t.text === kw;
  }
  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.text === op;
  }
  private unexpected(t: Token, lead = 'Unexpected'): Error {
    if (t.kind === 'eof') return syntaxError(this.query, t.start, 'Unexpected end of expression');
    return syntaxError(this.query, t.start, `${lead} ${describeToken(t)}`);
  }
  private expectOp(op: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) throw this.unexpected(t, `Expected "${op}" but got`);
    return this.next();
  }

  // ---- grammar ----
  private parseOr(): Node {
    return this.parseChain('OR', () => this.parseAnd());
  }

  private parseAnd(): Node {
    return this.parseChain('AND', () => this.parseNot());
  }

  /** `operand { op operand }` as one n-ary node (or the operand itself when there is no operator). */
  private parseChain(op: 'AND' | 'OR', operand: () => Node): Node {
    const operands = [operand()];
    while (this.isKeyword(this.peek(), op)) {
      this.next();
      operands.push(operand());
    }
    if (operands.length === 1) return operands[0];
    return { kind: 'logic', op, operands, start: operands[0].start, end: operands[operands.length - 1].end };
  }

  private parseNot(): Node {
    const t = this.peek();
    if (this.isKeyword(t, 'NOT')) {
      this.next();
      const operand = this.nested(t.start, () => this.parseNot());
      return { kind: 'not', operand, start: t.start, end: operand.end };
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Node {
    const left = this.parseAdditive();
    const node = this.parsePredicateTail(left);
    if (node !== left) {
      // Comparisons are non-associative: `a = b = c` is an error.
      const t = this.peek();
      const chained =
        (t.kind === 'op' && COMPARE_OPS.has(t.text)) ||
        (t.kind === 'keyword' && ['LIKE', 'IN', 'IS', 'BETWEEN'].includes(t.text)) ||
        (this.isKeyword(t, 'NOT') &&
          this.peek(1).kind === 'keyword' &&
          ['LIKE', 'IN', 'BETWEEN'].includes(this.peek(1).text));
      if (chained) throw this.unexpected(t);
    }
    return node;
  }

  private parsePredicateTail(left: Node): Node {
    const t = this.peek();
    if (t.kind === 'op' && COMPARE_OPS.has(t.text)) {
      this.next();
      const right = this.parseAdditive();
      return {
        kind: 'compare',
        op: t.text as CompareOp,
        left,
        right,
        opAt: t.start,
        start: left.start,
        end: right.end,
      };
    }
    let negated = false;
    let kw = t;
    if (this.isKeyword(t, 'NOT')) {
      const after = this.peek(1);
      if (!(after.kind === 'keyword' && ['LIKE', 'IN', 'BETWEEN'].includes(after.text))) throw this.unexpected(t);
      this.next();
      negated = true;
      kw = this.peek();
    }
    if (this.isKeyword(kw, 'LIKE')) {
      this.next();
      const right = this.parseAdditive();
      return { kind: 'like', negated, left, right, start: left.start, end: right.end };
    }
    if (this.isKeyword(kw, 'IN')) {
      this.next();
      const open = this.peek();
      if (!this.isOp(open, '(')) {
        if (this.isEnumAttribute(left)) {
          const got = open.kind === 'eof' ? '' : this.query.slice(open.start, open.end);
          throw queryError(
            this.query,
            open.start,
            `Expected a list of enum values enclosed in parentheses but got ${got}`,
          );
        }
        throw this.unexpected(open, 'Expected "(" but got');
      }
      this.next();
      const list = this.nested(open.start, () => {
        const items: Node[] = [this.parseOr()];
        while (this.isOp(this.peek(), ',')) {
          const comma = this.next();
          if (items.length >= MAX_FILTER_IN_LIST)
            throw limitError(
              this.query,
              comma.start,
              'The IN list is too long',
              'MAX_FILTER_IN_LIST',
              MAX_FILTER_IN_LIST,
            );
          items.push(this.parseOr());
        }
        return items;
      });
      const close = this.expectOp(')');
      return { kind: 'in', negated, left, list, start: left.start, end: close.end };
    }
    if (this.isKeyword(kw, 'BETWEEN')) {
      this.next();
      const low = this.parseAdditive();
      const and = this.peek();
      if (!this.isKeyword(and, 'AND')) throw this.unexpected(and, 'Expected keyword AND but got');
      this.next();
      const high = this.parseAdditive();
      return { kind: 'between', negated, operand: left, low, high, start: left.start, end: high.end };
    }
    if (this.isKeyword(t, 'IS')) {
      this.next();
      let isNegated = false;
      if (this.isKeyword(this.peek(), 'NOT')) {
        this.next();
        isNegated = true;
      }
      const nul = this.peek();
      if (!this.isKeyword(nul, 'NULL')) throw this.unexpected(nul, 'Expected keyword NULL but got');
      this.next();
      return { kind: 'isnull', negated: isNegated, operand: left, start: left.start, end: nul.end };
    }
    return left;
  }

  private isEnumAttribute(node: Node): boolean {
    if (node.kind !== 'path' || node.segments.some((s) => s.quoted)) return false;
    return ENUM_ATTRIBUTE.test(node.segments.map((s) => s.text).join('.'));
  }

  private parseAdditive(): Node {
    return this.parseArithmetic(['+', '-'], () => this.parseTerm());
  }

  private parseTerm(): Node {
    return this.parseArithmetic(['*', '/'], () => this.parseUnary());
  }

  /**
   * `operand { op operand }`, left-associative. Every operator deepens the tree by one level, so it counts
   * towards MAX_FILTER_DEPTH (the operands after it are counted one level deeper, which only overestimates).
   */
  private parseArithmetic(ops: ArithOp[], operand: () => Node): Node {
    const base = this.level;
    try {
      let left = operand();
      for (;;) {
        const t = this.peek();
        if (!(t.kind === 'op' && (ops as string[]).includes(t.text))) return left;
        this.next();
        this.deeper(t.start);
        const right = operand();
        left = { kind: 'arith', op: t.text as ArithOp, left, right, start: left.start, end: right.end };
      }
    } finally {
      this.level = base;
    }
  }

  private parseUnary(): Node {
    const t = this.peek();
    if (this.isOp(t, '-')) {
      this.next();
      const lit = this.peek();
      // A sign directly on a number is part of the literal, so -9223372036854775808 is representable.
      if (lit.kind === 'int' || lit.kind === 'float') {
        this.next();
        if (lit.kind === 'float') return { kind: 'float', value: -lit.float!, start: t.start, end: lit.end };
        return this.checkInt({ kind: 'int', value: -lit.int!, start: t.start, end: lit.end });
      }
      const operand = this.nested(t.start, () => this.parseUnary());
      return { kind: 'neg', operand, start: t.start, end: operand.end };
    }
    const node = this.parsePrimary();
    return node.kind === 'int' ? this.checkInt(node) : node;
  }

  private checkInt(node: Node & { kind: 'int' }): Node {
    if (node.value > INT64_MAX || node.value < -INT64_MAX - 1n) {
      throw syntaxError(this.query, node.start, `Invalid integer literal: ${this.query.slice(node.start, node.end)}`);
    }
    return node;
  }

  private parsePrimary(): Node {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
        this.next();
        return { kind: 'int', value: t.int!, start: t.start, end: t.end };
      case 'float':
        this.next();
        return { kind: 'float', value: t.float!, start: t.start, end: t.end };
      case 'string':
        this.next();
        return { kind: 'string', value: t.text, start: t.start, end: t.end };
      case 'keyword':
        if (t.text === 'TRUE' || t.text === 'FALSE') {
          this.next();
          return { kind: 'bool', value: t.text === 'TRUE', start: t.start, end: t.end };
        }
        if (t.text === 'NULL') {
          this.next();
          return { kind: 'null', start: t.start, end: t.end };
        }
        throw this.unexpected(t);
      case 'ident':
      case 'quoted_ident':
        return this.parsePath();
      case 'op':
        if (t.text === '(') {
          this.next();
          const inner = this.nested(t.start, () => this.parseOr());
          const close = this.expectOp(')');
          return { kind: 'paren', inner, start: t.start, end: close.end };
        }
        throw this.unexpected(t);
      default:
        throw this.unexpected(t);
    }
  }

  private parsePath(): Node {
    const first = this.next();
    const segments: PathSegment[] = [
      { text: first.text, quoted: first.kind === 'quoted_ident', start: first.start, end: first.end },
    ];
    for (;;) {
      const dot = this.peek();
      if (!this.isOp(dot, '.')) break;
      if (dot.spaced) throw syntaxError(this.query, dot.start, 'Whitespace is not allowed before "." in a name');
      this.next();
      const seg = this.peek();
      if (seg.kind === 'eof') throw this.unexpected(seg);
      if (seg.kind !== 'ident' && seg.kind !== 'quoted_ident')
        throw this.unexpected(seg, 'Expected a field name after "." but got');
      if (seg.spaced) throw syntaxError(this.query, seg.start, 'Whitespace is not allowed after "." in a name');
      this.next();
      segments.push({ text: seg.text, quoted: seg.kind === 'quoted_ident', start: seg.start, end: seg.end });
    }
    const after = this.peek();
    if (this.isOp(after, '(')) {
      const name = segments.map((s) => s.text).join('.');
      throw queryError(this.query, first.start, `Function calls are not supported in a filter_query: ${name}`);
    }
    const last = segments[segments.length - 1];
    return { kind: 'path', segments, start: first.start, end: last.end };
  }
}

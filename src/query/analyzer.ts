/**
 * Name resolution and type checking: turns the syntax tree into a typed tree whose leaves are bound values or
 * references to a column of the listed node (table 0) or of one joined row (table N >= 1).
 *
 * Each distinct neighbour alias (`contexts_a`, `events_0`, …) and each distinct property struct
 * (`properties.p`, `custom_properties.p`) becomes one join, numbered in order of first appearance; every mention
 * of the same one refers to the same joined row.
 *
 * Enum predicates follow upstream's rewrite: `attr = NAME`, `attr != NAME`, `attr IN (NAMES)` and
 * `attr NOT IN (NAMES)` take enum names (an integer or an unknown name is "Unsupported enum value"); `!=` and
 * `NOT IN` also hold when the attribute is NULL. Other operators compare the attribute as a plain INT64.
 */
import type { CompareOp, Node, NodeOf, PathSegment } from './ast';
import {
  ALL_NEIGHBOUR_PREFIXES,
  type EnumDef,
  type FieldDef,
  NEIGHBOURS,
  type NeighbourDef,
  NODE_TABLES,
  type NodeKind,
  type NodeTableDef,
  PROPERTY_FIELDS,
  structDescription,
  type ValueType,
} from './catalog';
import { queryError } from './errors';
import { limitError, MAX_FILTER_ALIASES, MAX_FILTER_PROPERTIES } from './limits';

export type Ty = ValueType | 'NULL';
export type TCompareOp = Exclude<CompareOp, '<>'>;

/** A column reference: table 0 is the listed node, table N >= 1 is joins[N - 1]. */
export interface ColumnRef {
  table: number;
  field: FieldDef;
}

export type TExpr = { type: Ty } & (
  | { kind: 'value'; value: bigint | number | string | boolean }
  | { kind: 'null' }
  | { kind: 'ref'; ref: ColumnRef }
  | { kind: 'neg'; operand: TExpr }
  | { kind: 'not'; operand: TExpr }
  | { kind: 'arith'; op: '+' | '-' | '*' | '/'; left: TExpr; right: TExpr }
  | { kind: 'logic'; op: 'AND' | 'OR'; operands: TExpr[] }
  | { kind: 'compare'; op: TCompareOp; left: TExpr; right: TExpr }
  | { kind: 'like'; negated: boolean; left: TExpr; right: TExpr }
  | { kind: 'in'; negated: boolean; left: TExpr; list: TExpr[] }
  | { kind: 'isnull'; negated: boolean; operand: TExpr }
  | { kind: 'between'; negated: boolean; operand: TExpr; low: TExpr; high: TExpr }
);

/** A joined row; `at` is the offset of its first mention in the query (for errors). */
export type Join =
  | { kind: 'property'; table: number; custom: boolean; name: string; at: number }
  | { kind: 'neighbour'; table: number; def: NeighbourDef; alias: string; at: number };

export interface Analysis {
  node: NodeTableDef;
  expr: TExpr;
  joins: Join[];
}

export function analyze(query: string, tree: Node, kind: NodeKind): Analysis {
  const a = new Analyzer(query, kind);
  const expr = a.expr(tree);
  if (expr.type !== 'BOOL') {
    throw queryError(query, tree.start, `Given query string is not a valid boolean expression: ${query}`);
  }
  return { node: NODE_TABLES[kind], expr, joins: a.joins };
}

const isNumeric = (t: Ty) => t === 'INT64' || t === 'DOUBLE' || t === 'NULL';
const comparable = (a: Ty, b: Ty) => a === 'NULL' || b === 'NULL' || a === b || (isNumeric(a) && isNumeric(b));

class Analyzer {
  readonly joins: Join[] = [];
  private readonly node: NodeTableDef;
  private readonly neighbours: NeighbourDef[];

  constructor(
    private readonly query: string,
    kind: NodeKind,
  ) {
    this.node = NODE_TABLES[kind];
    this.neighbours = NEIGHBOURS[kind];
  }

  private fail(at: number, detail: string): Error {
    return queryError(this.query, at, detail);
  }

  private signatureError(at: number, op: string, types: Ty[]): Error {
    return this.fail(at, `No matching signature for operator ${op} for argument types: ${types.join(', ')}`);
  }

  expr(n: Node): TExpr {
    switch (n.kind) {
      case 'int':
        return { kind: 'value', type: 'INT64', value: n.value };
      case 'float':
        return { kind: 'value', type: 'DOUBLE', value: n.value };
      case 'string':
        return { kind: 'value', type: 'STRING', value: n.value };
      case 'bool':
        return { kind: 'value', type: 'BOOL', value: n.value };
      case 'null':
        return { kind: 'null', type: 'NULL' };
      case 'paren':
        return this.expr(n.inner);
      case 'path': {
        const { ref } = this.resolvePath(n);
        return { kind: 'ref', type: ref.field.type, ref };
      }
      case 'neg': {
        const operand = this.expr(n.operand);
        if (!isNumeric(operand.type)) throw this.signatureError(n.start, 'unary -', [operand.type]);
        return { kind: 'neg', type: operand.type === 'NULL' ? 'INT64' : operand.type, operand };
      }
      case 'not': {
        const operand = this.expr(n.operand);
        if (operand.type !== 'BOOL' && operand.type !== 'NULL')
          throw this.signatureError(n.start, 'NOT', [operand.type]);
        return { kind: 'not', type: 'BOOL', operand };
      }
      case 'arith': {
        const left = this.expr(n.left);
        const right = this.expr(n.right);
        if (!isNumeric(left.type) || !isNumeric(right.type))
          throw this.signatureError(n.start, n.op, [left.type, right.type]);
        // ZetaSQL types INT64 / INT64 as DOUBLE; the SQL backends divide integers (see sql.ts).
        const type: Ty = left.type === 'DOUBLE' || right.type === 'DOUBLE' || n.op === '/' ? 'DOUBLE' : 'INT64';
        return { kind: 'arith', type, op: n.op, left, right };
      }
      case 'logic': {
        const operands = n.operands.map((o) => this.expr(o));
        const ok = (t: Ty) => t === 'BOOL' || t === 'NULL';
        if (!operands.every((o) => ok(o.type)))
          throw this.signatureError(
            n.start,
            n.op,
            operands.map((o) => o.type),
          );
        return { kind: 'logic', type: 'BOOL', op: n.op, operands };
      }
      case 'compare':
        return this.compare(n);
      case 'like': {
        const left = this.expr(n.left);
        const right = this.expr(n.right);
        const ok = (t: Ty) => t === 'STRING' || t === 'NULL';
        if (!ok(left.type) || !ok(right.type))
          throw this.signatureError(n.start, n.negated ? 'NOT LIKE' : 'LIKE', [left.type, right.type]);
        return { kind: 'like', type: 'BOOL', negated: n.negated, left, right };
      }
      case 'in':
        return this.inList(n);
      case 'isnull':
        return { kind: 'isnull', type: 'BOOL', negated: n.negated, operand: this.expr(n.operand) };
      case 'between': {
        const operand = this.expr(n.operand);
        const low = this.expr(n.low);
        const high = this.expr(n.high);
        if (
          !comparable(operand.type, low.type) ||
          !comparable(operand.type, high.type) ||
          !comparable(low.type, high.type)
        ) {
          throw this.signatureError(n.start, n.negated ? 'NOT BETWEEN' : 'BETWEEN', [
            operand.type,
            low.type,
            high.type,
          ]);
        }
        return { kind: 'between', type: 'BOOL', negated: n.negated, operand, low, high };
      }
    }
  }

  // ---- enum predicates ----

  /** The enum accepted by `node` when it is written exactly as upstream's rewrite recognises it. */
  private enumOf(n: Node): EnumDef | undefined {
    if (n.kind !== 'path') return undefined;
    const { ref, exact } = this.resolvePath(n);
    return exact ? ref.field.enumDef : undefined;
  }

  private enumValue(e: EnumDef, n: Node): TExpr {
    const text = this.query.slice(n.start, n.end);
    if (n.kind === 'path' && n.segments.length === 1 && !n.segments[0].quoted) {
      const v = e.values.get(n.segments[0].text);
      if (v !== undefined) return { kind: 'value', type: 'INT64', value: BigInt(v) };
    }
    throw this.fail(n.start, `Unsupported enum value specified in the query: ${text}`);
  }

  private compare(n: NodeOf<'compare'>): TExpr {
    const op: TCompareOp = n.op === '<>' ? '!=' : n.op;
    const enumDef = n.op === '=' || n.op === '!=' ? this.enumOf(n.left) : undefined;
    // The rewrite takes a bare word after the operator: a name or an integer (which it refuses).
    if (
      enumDef &&
      ((n.right.kind === 'path' && n.right.segments.length === 1 && !n.right.segments[0].quoted) ||
        n.right.kind === 'int')
    ) {
      const left = this.expr(n.left);
      const right = this.enumValue(enumDef, n.right);
      const cmp: TExpr = { kind: 'compare', type: 'BOOL', op, left, right };
      if (op === '=') return cmp;
      return {
        kind: 'logic',
        type: 'BOOL',
        op: 'OR',
        operands: [cmp, { kind: 'isnull', type: 'BOOL', negated: false, operand: left }],
      };
    }
    const left = this.expr(n.left);
    const right = this.expr(n.right);
    if (!comparable(left.type, right.type)) throw this.signatureError(n.start, n.op, [left.type, right.type]);
    return { kind: 'compare', type: 'BOOL', op, left, right };
  }

  private inList(n: NodeOf<'in'>): TExpr {
    const enumDef = this.enumOf(n.left);
    const left = this.expr(n.left);
    if (enumDef) {
      const list = n.list.map((item) => this.enumValue(enumDef, item));
      const test: TExpr = { kind: 'in', type: 'BOOL', negated: n.negated, left, list };
      if (!n.negated) return test;
      return {
        kind: 'logic',
        type: 'BOOL',
        op: 'OR',
        operands: [test, { kind: 'isnull', type: 'BOOL', negated: false, operand: left }],
      };
    }
    const list = n.list.map((item) => this.expr(item));
    for (const item of list) {
      if (!comparable(left.type, item.type)) {
        throw this.signatureError(n.start, n.negated ? 'NOT IN' : 'IN', [left.type, ...list.map((x) => x.type)]);
      }
    }
    return { kind: 'in', type: 'BOOL', negated: n.negated, left, list };
  }

  // ---- names ----

  /**
   * Resolves a dotted name. `exact` is true when it is written the way upstream's enum rewrite matches it
   * (lower case, no backquotes).
   */
  private resolvePath(n: NodeOf<'path'>): { ref: ColumnRef; exact: boolean } {
    const [head, ...rest] = n.segments;
    const exactWritten = (s: PathSegment, name: string) => !s.quoted && s.text === name;
    if (!head.quoted) {
      if (head.text === 'properties' || head.text === 'custom_properties') {
        if (rest.length < 2) throw this.fail(head.start, `Unrecognized name: ${head.text}`);
        const [nameSeg, fieldSeg, ...more] = rest;
        const field = this.field(PROPERTY_FIELDS, fieldSeg);
        this.noSubfield(field, more);
        const table = this.propertyJoin(head.text === 'custom_properties', nameSeg.text, head.start);
        return { ref: { table, field }, exact: false };
      }
      const prefix = ALL_NEIGHBOUR_PREFIXES.find(
        (p) => head.text.startsWith(p) && /^[0-9A-Za-z_]+$/.test(head.text.slice(p.length)),
      );
      if (prefix !== undefined) {
        const def = this.neighbours.find((d) => d.prefix === prefix);
        if (def === undefined || rest.length === 0) throw this.fail(head.start, `Unrecognized name: ${head.text}`);
        const [fieldSeg, ...more] = rest;
        const field = this.field(def.fields, fieldSeg);
        this.noSubfield(field, more);
        const table = this.neighbourJoin(def, head.text, head.start);
        return { ref: { table, field }, exact: exactWritten(fieldSeg, field.name) };
      }
    }
    const field = this.node.attributes.find((a) => a.name === head.text.toLowerCase());
    if (field === undefined)
      throw this.fail(head.start, `Unrecognized name: ${head.quoted ? '`' + head.text + '`' : head.text}`);
    this.noSubfield(field, rest);
    return { ref: { table: 0, field }, exact: exactWritten(head, field.name) };
  }

  private field(fields: FieldDef[], seg: PathSegment): FieldDef {
    const field = fields.find((x) => x.name === seg.text.toLowerCase());
    if (field === undefined)
      throw this.fail(seg.start, `Field name ${seg.text} does not exist in ${structDescription(fields)}`);
    return field;
  }

  private noSubfield(field: FieldDef, more: PathSegment[]): void {
    if (more.length > 0)
      throw this.fail(more[0].start, `Cannot access field ${more[0].text} on a value with type ${field.type}`);
  }

  private propertyJoin(custom: boolean, name: string, at: number): number {
    const found = this.joins.find((j) => j.kind === 'property' && j.custom === custom && j.name === name);
    if (found) return found.table;
    if (this.joins.filter((j) => j.kind === 'property').length >= MAX_FILTER_PROPERTIES)
      throw limitError(
        this.query,
        at,
        'The query names too many distinct properties',
        'MAX_FILTER_PROPERTIES',
        MAX_FILTER_PROPERTIES,
      );
    const table = this.joins.length + 1;
    this.joins.push({ kind: 'property', table, custom, name, at });
    return table;
  }

  private neighbourJoin(def: NeighbourDef, alias: string, at: number): number {
    const found = this.joins.find((j) => j.kind === 'neighbour' && j.alias === alias);
    if (found) return found.table;
    if (this.joins.filter((j) => j.kind === 'neighbour').length >= MAX_FILTER_ALIASES)
      throw limitError(
        this.query,
        at,
        'The query names too many neighbour aliases (contexts_X, artifacts_X, executions_X, events_X, ...)',
        'MAX_FILTER_ALIASES',
        MAX_FILTER_ALIASES,
      );
    const table = this.joins.length + 1;
    this.joins.push({ kind: 'neighbour', table, def, alias, at });
    return table;
  }
}

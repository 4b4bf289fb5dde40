/**
 * SQL generation from the plan (plan.ts): a boolean combination, on the outer node alias, of
 *
 *   direct conditions      <cond on the outer alias>
 *   groups (semi-joins)    <outer>.id IN (SELECT <owner id> FROM <the group's joins> WHERE <cond>)   (selective)
 *                          EXISTS (SELECT 1 FROM <the group's joins> WHERE <owner id> = <outer>.id AND <cond>)
 *   existence of a join    EXISTS (SELECT 1 FROM <the join> WHERE <owner id> = <outer>.id)
 *
 * A group's joins start from the first joined table (its owner column is the node id), so the database can drive
 * the semi-join from whichever side an index serves; the node table itself (`table_0`) joins in only when the
 * condition reads the node's own columns. Long AND / OR chains become balanced trees of parentheses, so their SQL
 * stays shallow whatever their length.
 *
 * The node's `type` is its type's name, read with a scalar subquery on Type.
 *
 * Every value (literal, enum integer, property name) is a bound `?` parameter; the SQL text contains only our own
 * table and column names, aliases, operators and constants, so it is the same for any literal values. Where a
 * dialect cannot time statements out by itself (SQLite), every scan carries its `rowCheck` term (dialect.ts).
 */
import type { Analysis, ColumnRef, Join, TExpr } from './analyzer';
import { NODE_TABLES, type NodeKind, type ValueType } from './catalog';
import type { BoundValue, QueryDialect } from './dialect';
import { limitError, MAX_FILTER_VALUES } from './limits';
import { children, type Plan } from './plan';

export interface FilterSql {
  /** A condition on the outer node table alias. */
  where: string;
  params: BoundValue[];
}

export function generateSql(query: string, a: Analysis, plan: Plan, dialect: QueryDialect, outer: string): FilterSql {
  const g = new Generator(a, dialect, outer);
  const check = dialect.rowCheck?.([outer], false);
  const body = g.plan(plan);
  const where = check ? `${check} AND ${body}` : body;
  if (g.params.length > MAX_FILTER_VALUES) {
    throw limitError(
      query,
      0,
      `The query binds ${g.params.length.toLocaleString('en-US')} values (literals, enum values, property names)`,
      'MAX_FILTER_VALUES',
      MAX_FILTER_VALUES,
    );
  }
  // Placeholders and values must line up: every `?` in the text is one of ours.
  const placeholders = where.split('?').length - 1;
  if (placeholders !== g.params.length)
    throw new Error(`filter SQL has ${placeholders} placeholders for ${g.params.length} values`);
  return { where, params: g.params };
}

/** `(a OP b)` nested as a balanced tree: depth log2(n) however many operands. */
function balanced(parts: string[], op: 'AND' | 'OR'): string {
  if (parts.length === 1) return parts[0];
  const mid = parts.length >> 1;
  return `(${balanced(parts.slice(0, mid), op)} ${op} ${balanced(parts.slice(mid), op)})`;
}

/** The FROM clause of a group and the node id it yields. */
interface From {
  sql: string;
  owner: string;
  /** Conditions of the first joined table (when it is a property row), for the WHERE clause. */
  where: string[];
  /** The tables' aliases (for the dialect's row check). */
  aliases: string[];
}

class Generator {
  readonly params: BoundValue[] = [];

  constructor(
    private readonly a: Analysis,
    private readonly d: QueryDialect,
    private readonly outer: string,
  ) {}

  /** Appends a bound value; SQL text is built left to right, so values are pushed in placeholder order. */
  private bind(value: bigint | number | string | boolean, type: 'INT64' | 'DOUBLE' | 'STRING' | 'BOOL'): string {
    this.params.push(this.d.bind(value));
    return this.d.placeholder(type);
  }

  plan(p: Plan): string {
    switch (p.kind) {
      case 'direct':
        return this.expr(p.expr, this.outer);
      case 'and':
      case 'or':
        return balanced(
          p.parts.map((x) => this.plan(x)),
          p.kind === 'and' ? 'AND' : 'OR',
        );
      case 'exists':
        return this.semiJoin([p.table], undefined);
      case 'group':
        return this.semiJoin(p.tables, p.expr);
    }
  }

  /**
   * "Some rows of these joins (satisfying `cond`) belong to the node", in one of two forms, as a planner with
   * statistics would choose (SQLite has none: MLMD never runs ANALYZE):
   *   - `<outer>.id IN (SELECT <owner> ...)` when `cond` looks selective (an equality on an indexed column of a
   *     joined row): the few matching rows are found through the index and listed once;
   *   - `EXISTS (SELECT 1 ... WHERE <owner> = <outer>.id ...)` otherwise: each node is checked through the join's
   *     index on its owner column, so a listing stops at its page's end instead of first listing every match (a
   *     condition matching a million rows once took seconds per alias).
   */
  private semiJoin(tables: number[], cond: TExpr | undefined): string {
    const joins = tables.map((t) => this.a.joins[t - 1]);
    const from = cond !== undefined && readsNode(cond) ? this.fromNode(joins) : this.fromJoins(joins);
    const combinations = joins.filter((j) => j.kind === 'neighbour').length > 1;
    const check = this.d.rowCheck?.(from.aliases, combinations);
    const where = [...(check ? [check] : []), ...from.where];
    if (cond !== undefined) where.push(this.expr(cond, 'table_0'));
    if (cond !== undefined && selective(cond))
      return `${this.outer}.id IN (SELECT ${from.owner} FROM ${from.sql}${where.length ? ` WHERE ${where.join(' AND ')}` : ''})`;
    return `EXISTS (SELECT 1 FROM ${from.sql} WHERE ${[`${from.owner} = ${this.outer}.id`, ...where].join(' AND ')})`;
  }

  /** The node table, then every join on its id. */
  private fromNode(joins: Join[]): From {
    const node = `${this.a.node.table} table_0`;
    const parts = joins.map((j) => this.join(j, 'table_0.id'));
    return {
      sql: [node, ...parts.map((p) => p.sql)].join(' '),
      owner: 'table_0.id',
      where: [],
      aliases: ['table_0', ...parts.flatMap((p) => p.aliases)],
    };
  }

  /** The first join's table(s), then the others on the node id it yields. */
  private fromJoins(joins: Join[]): From {
    const [first, ...rest] = joins;
    const t = `table_${first.table}`;
    let head: { sql: string; owner: string; aliases: string[] };
    let firstWhere: () => string[] = () => [];
    if (first.kind === 'property') {
      const { propertyTable, ownerColumn } = this.a.node;
      head = { sql: `${propertyTable} ${t}`, owner: `${t}.${ownerColumn}`, aliases: [t] };
      firstWhere = () => [this.propertyMatch(first, t)];
    } else if (first.def.link === undefined) {
      head = { sql: `${first.def.target} ${t}`, owner: `${t}.${first.def.fromColumn}`, aliases: [t] };
    } else {
      const l = `link_${first.table}`;
      const link = first.def.link;
      head = {
        sql: `${link.table} ${l} JOIN ${first.def.target} ${t} ON ${t}.id = ${l}.${link.toColumn}`,
        owner: `${l}.${link.fromColumn}`,
        aliases: [l, t],
      };
    }
    // Text order is bind order: the other joins' ON clauses come before the first table's WHERE conditions.
    const parts = rest.map((j) => this.join(j, head.owner));
    return {
      sql: [head.sql, ...parts.map((p) => p.sql)].join(' '),
      owner: head.owner,
      where: firstWhere(),
      aliases: [...head.aliases, ...parts.flatMap((p) => p.aliases)],
    };
  }

  /** A JOIN of one joined row onto the node id `owner`. */
  private join(j: Join, owner: string): { sql: string; aliases: string[] } {
    const t = `table_${j.table}`;
    if (j.kind === 'property') {
      const { propertyTable, ownerColumn } = this.a.node;
      return {
        sql: `JOIN ${propertyTable} ${t} ON ${t}.${ownerColumn} = ${owner} AND ${this.propertyMatch(j, t)}`,
        aliases: [t],
      };
    }
    const def = j.def;
    if (def.link === undefined)
      return { sql: `JOIN ${def.target} ${t} ON ${t}.${def.fromColumn} = ${owner}`, aliases: [t] };
    const l = `link_${j.table}`;
    return {
      sql: `JOIN ${def.link.table} ${l} ON ${l}.${def.link.fromColumn} = ${owner} JOIN ${def.target} ${t} ON ${t}.id = ${l}.${def.link.toColumn}`,
      aliases: [l, t],
    };
  }

  private propertyMatch(j: Extract<Join, { kind: 'property' }>, t: string): string {
    return `${t}.name = ${this.bind(j.name, 'STRING')} AND ${t}.is_custom_property = ${this.d.flag(j.custom)}`;
  }

  private column(ref: ColumnRef, node: string): string {
    const alias = ref.table === 0 ? node : `table_${ref.table}`;
    if (ref.field.column !== 'TYPE_NAME') return `${alias}.${ref.field.column}`;
    const target: NodeKind = ref.table === 0 ? this.a.node.table : (this.joinOf(ref.table).def.target as NodeKind);
    const tt = `type_${ref.table}`;
    return `(SELECT ${tt}.name FROM Type ${tt} WHERE ${tt}.id = ${alias}.type_id AND ${tt}.type_kind = ${NODE_TABLES[target].typeKind})`;
  }

  private joinOf(table: number): Extract<Join, { kind: 'neighbour' }> {
    const j = this.a.joins[table - 1];
    if (j.kind !== 'neighbour') throw new Error('type name of a property row');
    return j;
  }

  /** SQL of an expression; `node` is the alias of the listed node's own row (table 0). */
  expr(e: TExpr, node: string): string {
    const x = (child: TExpr) => this.expr(child, node);
    switch (e.kind) {
      case 'value':
        return this.bind(e.value, e.type as 'INT64' | 'DOUBLE' | 'STRING' | 'BOOL');
      case 'null':
        return 'NULL';
      case 'ref':
        return this.column(e.ref, node);
      case 'neg':
        return `(- ${x(e.operand)})`;
      case 'not':
        return `(NOT ${x(e.operand)})`;
      case 'arith': {
        const l = x(e.left);
        const r = x(e.right);
        const integers = e.left.type !== 'DOUBLE' && e.right.type !== 'DOUBLE';
        return `(${e.op === '/' ? this.d.divide(l, r, integers) : `${l} ${e.op} ${r}`})`;
      }
      case 'logic':
        return balanced(e.operands.map(x), e.op);
      case 'compare': {
        const ordering = e.op !== '=' && e.op !== '!=';
        const strings = e.left.type === 'STRING' || e.right.type === 'STRING';
        let l = x(e.left);
        let r = x(e.right);
        if (ordering && strings) {
          l = this.d.binaryString(l);
          r = this.d.binaryString(r);
        }
        return `(${l} ${e.op === '!=' ? '<>' : e.op} ${r})`;
      }
      case 'like': {
        const l = x(e.left);
        const r = x(e.right);
        return `(${this.d.like(l, r, e.negated)})`;
      }
      case 'in': {
        const l = x(e.left);
        const op = e.negated ? 'NOT IN' : 'IN';
        const literals = e.list.every((i) => i.kind === 'value' && i.type === e.list[0].type);
        if (literals && this.d.listSql && this.d.bindList) {
          const type = e.list[0].type as ValueType;
          this.params.push(
            this.d.bindList(
              type,
              e.list.map((i) => (i as Extract<TExpr, { kind: 'value' }>).value),
            ),
          );
          return `(${l} ${op} (${this.d.listSql(type)}))`;
        }
        return `(${l} ${op} (${e.list.map(x).join(', ')}))`;
      }
      case 'isnull':
        return `(${x(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
      case 'between': {
        const strings = e.operand.type === 'STRING' || e.low.type === 'STRING';
        const wrap = (sql: string) => (strings ? this.d.binaryString(sql) : sql);
        const o = wrap(x(e.operand));
        const lo = wrap(x(e.low));
        const hi = wrap(x(e.high));
        return `(${o} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${lo} AND ${hi})`;
      }
    }
  }
}

/**
 * Whether a condition (in negation normal form) looks selective: one of its conjuncts, or every branch of an OR,
 * compares an indexed column of a joined row with literals (=, IN, BETWEEN).
 */
function selective(e: TExpr): boolean {
  const indexed = (x: TExpr) => x.kind === 'ref' && x.ref.table > 0 && x.ref.field.indexed === true;
  const literal = (x: TExpr) => x.kind === 'value';
  switch (e.kind) {
    case 'logic':
      return e.op === 'AND' ? e.operands.some(selective) : e.operands.every(selective);
    case 'compare':
      return e.op === '=' && ((indexed(e.left) && literal(e.right)) || (indexed(e.right) && literal(e.left)));
    case 'in':
      return !e.negated && indexed(e.left) && e.list.every(literal);
    case 'between':
      return !e.negated && indexed(e.operand) && literal(e.low) && literal(e.high);
    default:
      return false;
  }
}

/** Whether an expression reads a column of the listed node itself (table 0). */
function readsNode(e: TExpr): boolean {
  if (e.kind === 'ref') return e.ref.table === 0;
  return children(e).some(readsNode);
}

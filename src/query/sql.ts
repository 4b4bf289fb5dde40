/**
 * SQL generation from the typed tree.
 *
 * Shape (upstream's join semantics): when the filter mentions neighbours or properties, it becomes
 *
 *   <outer>.id IN (SELECT table_0.id FROM <Node> table_0
 *                    JOIN … table_1 ON …  JOIN … table_2 ON …        -- one inner join per alias / property struct
 *                  WHERE <expression>)
 *
 * so a node matches when some combination of joined rows makes the whole expression true, and a node lacking a
 * mentioned neighbour or property never matches (even in an OR branch). Without joins there is exactly one row per
 * node, so the expression is applied to the outer alias directly (same meaning, no subquery).
 *
 * The node's `type` is its type's name, read with a scalar subquery on Type.
 *
 * Every value (literal, enum integer, property name) is a bound `?` parameter; the SQL text contains only our own
 * table and column names, aliases, operators and constants, so it is the same for any literal values.
 */
import { Analysis, ColumnRef, Join, TExpr } from './analyzer';
import { NODE_TABLES, NodeKind } from './catalog';
import { BoundValue, QueryDialect } from './dialect';

export interface FilterSql {
  /** A condition on the outer node table alias. */
  where: string;
  params: BoundValue[];
}

export function generateSql(a: Analysis, dialect: QueryDialect, outerAlias: string): FilterSql {
  const g = new Generator(a, dialect, a.joins.length === 0 ? outerAlias : 'table_0');
  let where: string;
  if (a.joins.length === 0) {
    where = g.expr(a.expr);
  } else {
    const from = `${a.node.table} table_0`;
    const joins = a.joins.map((j) => g.join(j)).join(' ');
    const cond = g.expr(a.expr);
    where = `${outerAlias}.id IN (SELECT table_0.id FROM ${from} ${joins} WHERE ${cond})`;
  }
  // Placeholders and values must line up: every `?` in the text is one of ours.
  const placeholders = where.split('?').length - 1;
  if (placeholders !== g.params.length)
    throw new Error(`filter SQL has ${placeholders} placeholders for ${g.params.length} values`);
  return { where, params: g.params };
}

class Generator {
  readonly params: BoundValue[] = [];

  constructor(
    private readonly a: Analysis,
    private readonly d: QueryDialect,
    private readonly baseAlias: string,
  ) {}

  /** Appends a bound value; callers build SQL text left to right, so values are pushed in placeholder order. */
  private bind(value: bigint | number | string | boolean, type: 'INT64' | 'DOUBLE' | 'STRING' | 'BOOL'): string {
    this.params.push(this.d.bind(value));
    return this.d.placeholder(type);
  }

  join(j: Join): string {
    const t = `table_${j.table}`;
    if (j.kind === 'property') {
      const { propertyTable, ownerColumn } = this.a.node;
      const name = this.bind(j.name, 'STRING');
      return `JOIN ${propertyTable} ${t} ON ${t}.${ownerColumn} = table_0.id AND ${t}.name = ${name} AND ${t}.is_custom_property = ${this.d.flag(j.custom)}`;
    }
    const def = j.def;
    if (def.link === undefined) return `JOIN ${def.target} ${t} ON ${t}.${def.fromColumn} = table_0.id`;
    const l = `link_${j.table}`;
    return `JOIN ${def.link.table} ${l} ON ${l}.${def.link.fromColumn} = table_0.id JOIN ${def.target} ${t} ON ${t}.id = ${l}.${def.link.toColumn}`;
  }

  private column(ref: ColumnRef): string {
    const alias = ref.table === 0 ? this.baseAlias : `table_${ref.table}`;
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

  expr(e: TExpr): string {
    switch (e.kind) {
      case 'value':
        return this.bind(e.value, e.type as 'INT64' | 'DOUBLE' | 'STRING' | 'BOOL');
      case 'null':
        return 'NULL';
      case 'ref':
        return this.column(e.ref);
      case 'neg':
        return `(- ${this.expr(e.operand)})`;
      case 'not':
        return `(NOT ${this.expr(e.operand)})`;
      case 'arith': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        const integers = e.left.type !== 'DOUBLE' && e.right.type !== 'DOUBLE';
        return `(${e.op === '/' ? this.d.divide(l, r, integers) : `${l} ${e.op} ${r}`})`;
      }
      case 'logic': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        return `(${l} ${e.op} ${r})`;
      }
      case 'compare': {
        const ordering = e.op !== '=' && e.op !== '!=';
        const strings = e.left.type === 'STRING' || e.right.type === 'STRING';
        let l = this.expr(e.left);
        let r = this.expr(e.right);
        if (ordering && strings) {
          l = this.d.binaryString(l);
          r = this.d.binaryString(r);
        }
        return `(${l} ${e.op === '!=' ? '<>' : e.op} ${r})`;
      }
      case 'like': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        return `(${this.d.like(l, r, e.negated)})`;
      }
      case 'in': {
        const l = this.expr(e.left);
        const items = e.list.map((x) => this.expr(x));
        return `(${l} ${e.negated ? 'NOT IN' : 'IN'} (${items.join(', ')}))`;
      }
      case 'isnull':
        return `(${this.expr(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
      case 'between': {
        const strings = e.operand.type === 'STRING' || e.low.type === 'STRING';
        const wrap = (sql: string) => (strings ? this.d.binaryString(sql) : sql);
        const o = wrap(this.expr(e.operand));
        const lo = wrap(this.expr(e.low));
        const hi = wrap(this.expr(e.high));
        return `(${o} ${e.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${lo} AND ${hi})`;
      }
    }
  }
}

/**
 * How a filter's joined rows are evaluated, so that cost adds up per alias instead of multiplying.
 *
 * Meaning (upstream's): a node matches when SOME combination of rows of its mentioned joins (one row per neighbour
 * alias, the row of each mentioned property) makes the whole expression TRUE; a node lacking any mentioned join
 * never matches, even through an OR branch that does not use it. Written naively, that is one join of all aliases,
 * whose size is the product of their row counts: each alias multiplied the cost (25 aliases took minutes).
 *
 * The same meaning, evaluated part by part. With the expression in negation normal form (NOT pushed down to the
 * predicates by De Morgan, which holds in SQL's three-valued logic), "some rows make it TRUE" distributes:
 *   - over OR:  some rows make (A OR B) TRUE  <=>  some rows make A TRUE, or some rows make B TRUE;
 *   - over AND of parts that share no join:  each part is satisfied by its own rows, independently.
 * So the filter becomes a boolean combination of *groups*, each "some rows of these joins satisfy this condition"
 * (one semi-join each), plus "the node has at least one row of join J" for the joins that no group already
 * requires (the inner-join rule above). Only a condition that itself relates several aliases (a predicate naming
 * two, or conjuncts that share them) still needs the combinations of their rows: limits.ts bounds that count.
 */
import type { Analysis, TExpr } from './analyzer';
import { limitError, MAX_FILTER_RELATED_ALIASES } from './limits';

export type Plan =
  /** A condition on the node's own columns. */
  | { kind: 'direct'; expr: TExpr }
  /** Some combination of rows of these joins (table numbers) satisfies `expr`. */
  | { kind: 'group'; tables: number[]; expr: TExpr }
  /** The node has at least one row of this join. */
  | { kind: 'exists'; table: number }
  | { kind: 'and' | 'or'; parts: Plan[] };

export function planFilter(query: string, a: Analysis): Plan {
  const planner = new Planner(query, a);
  const plan = planner.plan(toNegationNormalForm(a.expr, false));
  const required = guaranteed(plan);
  const missing = a.joins.map((j) => j.table).filter((t) => !required.has(t));
  if (missing.length === 0) return plan;
  return { kind: 'and', parts: [...missing.map((table): Plan => ({ kind: 'exists', table })), plan] };
}

/** NOT pushed down to the predicates; nested ANDs (ORs) flattened into one n-ary node. */
function toNegationNormalForm(e: TExpr, negate: boolean): TExpr {
  if (e.kind === 'not') return toNegationNormalForm(e.operand, !negate);
  if (e.kind === 'logic') {
    const op = negate ? (e.op === 'AND' ? 'OR' : 'AND') : e.op;
    const operands: TExpr[] = [];
    for (const o of e.operands) {
      const x = toNegationNormalForm(o, negate);
      if (x.kind === 'logic' && x.op === op) operands.push(...x.operands);
      else operands.push(x);
    }
    return { kind: 'logic', type: 'BOOL', op, operands };
  }
  return negate ? { kind: 'not', type: 'BOOL', operand: e } : e;
}

/** The joins whose existence a plan's truth implies. */
function guaranteed(p: Plan): Set<number> {
  switch (p.kind) {
    case 'direct':
      return new Set();
    case 'group':
      return new Set(p.tables);
    case 'exists':
      return new Set([p.table]);
    case 'and':
      return new Set(p.parts.flatMap((x) => [...guaranteed(x)]));
    case 'or': {
      const [first, ...rest] = p.parts.map(guaranteed);
      return new Set([...first].filter((t) => rest.every((s) => s.has(t))));
    }
  }
}

class Planner {
  private readonly varsOf = new Map<TExpr, Set<number>>();

  constructor(
    private readonly query: string,
    private readonly a: Analysis,
  ) {}

  plan(e: TExpr): Plan {
    const vars = this.vars(e);
    if (vars.size === 0) return { kind: 'direct', expr: e };
    if (e.kind === 'logic' && e.op === 'OR') {
      // Branches over the same joins (`contexts_a.name = 'x' OR contexts_a.name = 'y'`) stay one semi-join.
      if (e.operands.every((o) => sameSet(this.vars(o), vars))) return this.group([...vars], e);
      return { kind: 'or', parts: e.operands.map((o) => this.plan(o)) };
    }
    if (e.kind === 'logic' && e.op === 'AND') return this.conjunction(e.operands);
    return this.group([...vars], e);
  }

  /** Conjuncts that share no join are planned apart; those that do form one group (in the query's order). */
  private conjunction(operands: TExpr[]): Plan {
    const direct = operands.filter((o) => this.vars(o).size === 0);
    // Components of the "shares a join" relation, as lists of operand indexes, merged as conjuncts arrive.
    const components: Array<{ members: number[]; vars: Set<number> }> = [];
    operands.forEach((o, index) => {
      const vars = this.vars(o);
      if (vars.size === 0) return;
      const merged = { members: [index], vars: new Set(vars) };
      for (let i = components.length - 1; i >= 0; i--) {
        if ([...components[i].vars].some((t) => vars.has(t))) {
          merged.members.push(...components[i].members);
          for (const t of components[i].vars) merged.vars.add(t);
          components.splice(i, 1);
        }
      }
      components.push(merged);
    });
    const parts: Plan[] = [];
    if (direct.length > 0) parts.push({ kind: 'direct', expr: and(direct) });
    for (const c of components.sort((x, y) => Math.min(...x.members) - Math.min(...y.members))) {
      const members = c.members.sort((x, y) => x - y).map((i) => operands[i]);
      parts.push(members.length === 1 ? this.plan(members[0]) : this.group([...c.vars], and(members)));
    }
    return parts.length === 1 ? parts[0] : { kind: 'and', parts };
  }

  private group(tables: number[], expr: TExpr): Plan {
    tables.sort((x, y) => x - y);
    const aliases = tables.map((t) => this.a.joins[t - 1]).filter((j) => j.kind === 'neighbour');
    if (aliases.length > MAX_FILTER_RELATED_ALIASES) {
      const names = aliases.map((j) => (j.kind === 'neighbour' ? j.alias : '')).join(', ');
      throw limitError(
        this.query,
        Math.max(...aliases.map((j) => j.at)),
        `One condition relates ${aliases.length} neighbour aliases (${names}), whose rows it must try in every ` +
          'combination',
        'MAX_FILTER_RELATED_ALIASES',
        MAX_FILTER_RELATED_ALIASES,
      );
    }
    return { kind: 'group', tables, expr };
  }

  /** The joins an expression mentions (memoised: the planner asks about the same subtrees repeatedly). */
  private vars(e: TExpr): Set<number> {
    let vars = this.varsOf.get(e);
    if (vars === undefined) {
      vars = new Set();
      for (const child of children(e)) for (const t of this.vars(child)) vars.add(t);
      if (e.kind === 'ref' && e.ref.table > 0) vars.add(e.ref.table);
      this.varsOf.set(e, vars);
    }
    return vars;
  }
}

function sameSet(a: Set<number>, b: Set<number>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function and(operands: TExpr[]): TExpr {
  return operands.length === 1 ? operands[0] : { kind: 'logic', type: 'BOOL', op: 'AND', operands };
}

export function children(e: TExpr): TExpr[] {
  switch (e.kind) {
    case 'value':
    case 'null':
    case 'ref':
      return [];
    case 'neg':
    case 'not':
    case 'isnull':
      return [e.operand];
    case 'arith':
    case 'compare':
    case 'like':
      return [e.left, e.right];
    case 'logic':
      return e.operands;
    case 'in':
      return [e.left, ...e.list];
    case 'between':
      return [e.operand, e.low, e.high];
  }
}

/**
 * The syntax tree the parser produces (before names and types are resolved). Every node keeps its source span
 * [start, end) so errors can point at it. AND and OR are n-ary (a chain of them is one node), so a long chain
 * neither deepens the tree nor the compiler's recursion.
 */

export interface Span {
  start: number;
  end: number;
}

export interface PathSegment extends Span {
  text: string;
  /** Written in backquotes. */
  quoted: boolean;
}

export type CompareOp = '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/';

export type Node = Span &
  (
    | { kind: 'int'; value: bigint }
    | { kind: 'float'; value: number }
    | { kind: 'string'; value: string }
    | { kind: 'bool'; value: boolean }
    | { kind: 'null' }
    | { kind: 'path'; segments: PathSegment[] }
    | { kind: 'paren'; inner: Node }
    | { kind: 'neg'; operand: Node }
    | { kind: 'not'; operand: Node }
    | { kind: 'arith'; op: ArithOp; left: Node; right: Node }
    | { kind: 'logic'; op: 'AND' | 'OR'; operands: Node[] }
    | { kind: 'compare'; op: CompareOp; left: Node; right: Node; opAt: number }
    | { kind: 'like'; negated: boolean; left: Node; right: Node }
    | { kind: 'in'; negated: boolean; left: Node; list: Node[] }
    | { kind: 'isnull'; negated: boolean; operand: Node }
    | { kind: 'between'; negated: boolean; operand: Node; low: Node; high: Node }
  );

export type NodeOf<K extends Node['kind']> = Extract<Node, { kind: K }>;

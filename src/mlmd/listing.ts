/**
 * ListOperationOptions: ordering, page size, next_page_token and filter_query for the list RPCs.
 *
 * Tokens are what MLMD emits (a ListOperationNextPageToken, URL-safe base64 without padding), so a client may carry
 * one between MLMD servers. Paging is a true keyset `(order column, id)` in the requested direction, which fixes
 * MLMD's skipped or repeated rows when timestamps tie; page sizes above 100 are clamped to 100 (with a token)
 * instead of MLMD's 101 rows without one.
 */
import {
  ListOperationNextPageToken,
  type ListOperationOptions,
  ListOperationOptions_OrderByField_Field as Field,
} from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../errors';
import type { Row, SqlValue, Tx } from '../storage/database';
import type { AnyNode, NodeKindSpec } from './node-kinds';
import { loadNodes, loadNodesInOrder } from './node-store';
import { compileFilter } from './filter';

export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

/** A restriction of the candidate nodes (by type, by context), as a condition on the node table aliased `n`. */
export interface Candidates {
  where: string;
  params: SqlValue[];
}

export interface Page {
  nodes: AnyNode[];
  /** Set when another page exists. */
  nextPageToken?: string;
}

/**
 * Whether any node is a candidate. Google's listings by type and by context read their candidates before they look
 * at the options: with none they answer an empty response, whatever the options hold (a bad page size included).
 */
export async function hasCandidates(tx: Tx, spec: NodeKindSpec, candidates: Candidates): Promise<boolean> {
  const row = await tx.get(
    `SELECT 1 AS found FROM ${spec.table} n WHERE ${candidates.where} LIMIT 1`,
    candidates.params,
  );
  return row !== undefined;
}

const COLUMN: Record<number, string> = {
  [Field.ID]: 'id',
  [Field.CREATE_TIME]: 'create_time_since_epoch',
  [Field.LAST_UPDATE_TIME]: 'last_update_time_since_epoch',
};

/**
 * Lists nodes of one kind. Without options every candidate is returned in id order (MLMD's behaviour for requests
 * that carry no `options`); with options, one page.
 */
export async function listNodes(
  tx: Tx,
  spec: NodeKindSpec,
  options: ListOperationOptions | undefined,
  candidates?: Candidates,
): Promise<Page> {
  if (options === undefined) {
    return { nodes: await loadNodes(tx, spec, candidates?.where ?? '1 = 1', candidates?.params ?? []) };
  }
  const size = options.maxResultSize ?? DEFAULT_PAGE_SIZE;
  if (size <= 0) {
    throw invalidArgument(
      `max_result_size field value is required to be greater than 0 and less than or equal to ${MAX_PAGE_SIZE}. Set value:${size}`,
    );
  }
  const pageSize = Math.min(size, MAX_PAGE_SIZE);
  const field = options.orderByField?.field ?? Field.ID;
  if (!(field in COLUMN))
    throw invalidArgument(`Unsupported field: ${Field[field] ?? field} specified in ListOperationOptions`);
  const asc = options.orderByField?.isAsc ?? true;
  const column = COLUMN[field];

  const where: string[] = [];
  const params: SqlValue[] = [];
  if (candidates) {
    where.push(`(${candidates.where})`);
    params.push(...candidates.params);
  }
  if (options.filterQuery) {
    const filter = compileFilter(tx.dialect, spec, options.filterQuery);
    where.push(`(${filter.where})`);
    params.push(...filter.params);
  }
  if (options.nextPageToken) {
    const { value, id } = decodeToken(options.nextPageToken, field, asc);
    const cmp = asc ? '>' : '<';
    if (field === Field.ID) {
      where.push(`n.id ${cmp} ?`);
      params.push(id);
    } else {
      where.push(`(n.${column} ${cmp} ? OR (n.${column} = ? AND n.id ${cmp} ?))`);
      params.push(value, value, id);
    }
  }
  const dir = asc ? 'ASC' : 'DESC';
  const order = field === Field.ID ? `n.id ${dir}` : `n.${column} ${dir}, n.id ${dir}`;
  const rows = await tx.all<Row>(
    `SELECT n.id, n.${column} AS order_value FROM ${spec.table} n ` +
      `${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${order} LIMIT ?`,
    [...params, pageSize + 1],
  );
  const page = rows.slice(0, pageSize);
  const nodes = await loadNodesInOrder(
    tx,
    spec,
    page.map((r) => r.id as bigint),
  );
  if (rows.length <= pageSize) return { nodes };
  return { nodes, nextPageToken: encodeToken(options, field, page) };
}

function encodeToken(options: ListOperationOptions, field: Field, page: Row[]): string {
  const last = page[page.length - 1];
  const lastId = last.id as bigint;
  const lastValue = last.order_value as bigint;
  const token: ListOperationNextPageToken = {
    setOptions: { ...options, nextPageToken: undefined, _unknownFields: undefined },
    fieldOffset: lastValue,
  };
  if (field === Field.LAST_UPDATE_TIME) {
    // MLMD's shape: the last id, then the ids before it that share its timestamp.
    token.listedIds = [];
    for (let i = page.length - 1; i >= 0 && page[i].order_value === lastValue; i--)
      token.listedIds.push(page[i].id as bigint);
  } else {
    token.idOffset = lastId;
  }
  return Buffer.from(ListOperationNextPageToken.encode(token).finish()).toString('base64url');
}

function decodeToken(text: string, field: Field, asc: boolean): { value: bigint; id: bigint } {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) throw invalidArgument('Failed to decode next page token string');
  let token: ListOperationNextPageToken;
  try {
    token = ListOperationNextPageToken.decode(Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url'));
  } catch {
    throw invalidArgument('Failed to parse decoded next page token into ListOperationNextPageToken proto message');
  }
  const initialField = token.setOptions?.orderByField?.field ?? Field.ID;
  const initialAsc = token.setOptions?.orderByField?.isAsc ?? true;
  if (initialField !== field || initialAsc !== asc) {
    throw invalidArgument(
      `ListOperationOptions mismatch between calls Initial Options: order_by_field { field: ${Field[initialField]} ` +
        `is_asc: ${initialAsc} } Current Options: order_by_field { field: ${Field[field]} is_asc: ${asc} }`,
    );
  }
  if (field === Field.LAST_UPDATE_TIME) {
    const listed = token.listedIds ?? [];
    if (listed.length === 0)
      throw invalidArgument('Invalid NextPageToken in List Operation. listed_ids field should not be empty.');
    return { value: token.fieldOffset ?? 0n, id: listed[0] };
  }
  const id = token.idOffset ?? token.fieldOffset ?? 0n;
  return { value: token.fieldOffset ?? id, id };
}

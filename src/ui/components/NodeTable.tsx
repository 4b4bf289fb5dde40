/**
 * Artifacts, executions or contexts as a table: one server page at a time (the server's page tokens, so a table over
 * 100,000 rows costs what one page costs), sorted by the server (id, create or update time), filtered by
 * filter_query, optionally by type. Everything the user sets is in the URL, so every page has a link of its own.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Artifact, Execution } from '../../../generated/ml_metadata/proto/metadata_store';
import { effectiveFilter, listNodes, typeNames, type MlmdNode } from '../api';
import { INVALID_ARGUMENT, RpcFailure } from '../api/grpc-web-client';
import { nodeLabel, showArtifactState, showExecutionState, showTime } from '../format';
import { hrefs, navigate, PAGE_SIZES, type ListState, type NodeKind, type SortField } from '../router';
import { useAsync } from '../use-async';
import { Failure, Loading } from './Status';

interface Column {
  label: string;
  sort?: SortField;
  cell: (node: MlmdNode, kind: NodeKind) => ComponentChildren;
}

const ID: Column = { label: 'ID', sort: 'ID', cell: (n, k) => <a href={hrefs.node(k, n.id)}>{String(n.id)}</a> };
const NAME: Column = { label: 'Name', cell: (n, k) => <a href={hrefs.node(k, n.id)}>{nodeLabel(n)}</a> };
const TYPE: Column = { label: 'Type', cell: (n, k) => <a href={hrefs.list(k, { type: n.type })}>{n.type}</a> };
const CREATED: Column = { label: 'Created', sort: 'CREATE_TIME', cell: (n) => showTime(n.createTimeSinceEpoch) };
const UPDATED: Column = {
  label: 'Updated',
  sort: 'LAST_UPDATE_TIME',
  cell: (n) => showTime(n.lastUpdateTimeSinceEpoch),
};

/** The columns of each kind: what distinguishes its rows at a glance. */
const COLUMNS: Record<NodeKind, Column[]> = {
  artifact: [
    ID,
    NAME,
    TYPE,
    { label: 'URI', cell: (n) => <span class="uri">{(n as Artifact).uri}</span> },
    { label: 'State', cell: (n) => showArtifactState(n as Artifact) },
    CREATED,
    UPDATED,
  ],
  execution: [ID, NAME, TYPE, { label: 'State', cell: (n) => showExecutionState(n as Execution) }, CREATED, UPDATED],
  context: [ID, NAME, TYPE, CREATED, UPDATED],
};

const PLURAL: Record<NodeKind, string> = { artifact: 'artifacts', execution: 'executions', context: 'contexts' };

export function NodeTable(props: { kind: NodeKind; list: ListState }) {
  const { kind, list } = props;
  const go = (changes: Partial<ListState>) =>
    navigate({ view: 'list', kind, list: { ...list, tokens: [], ...changes } });
  const page = useAsync(() => listNodes(kind, list), [kind, JSON.stringify(list)]);
  const types = useAsync(() => typeNames(kind), [kind]);
  const [typed, setTyped] = useState(list.filter);
  useEffect(() => setTyped(list.filter), [list.filter]);

  const filterError =
    page.state === 'failed' && page.error instanceof RpcFailure && page.error.code === INVALID_ARGUMENT
      ? page.error.message
      : undefined;
  const first = list.tokens.length * list.size + 1;

  return (
    <div class="node-table">
      <form
        class="filters"
        role="search"
        aria-label={`Filter ${PLURAL[kind]}`}
        onSubmit={(e) => {
          e.preventDefault();
          go({ filter: typed.trim() });
        }}
      >
        <label class="type-picker">
          Type{' '}
          <select value={list.type} onChange={(e) => go({ type: (e.target as HTMLSelectElement).value })}>
            <option value="">all types</option>
            {types.state === 'done' &&
              types.value.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            {list.type && (types.state !== 'done' || !types.value.includes(list.type)) && (
              <option value={list.type}>{list.type}</option>
            )}
          </select>
        </label>
        <div class="filter-field">
          <label for="filter-query">filter_query</label>
          <input
            id="filter-query"
            name="filter"
            type="search"
            spellcheck={false}
            autocomplete="off"
            placeholder={
              kind === 'artifact'
                ? `uri LIKE '%train%' AND properties.split.string_value = 'eval'`
                : `name LIKE 'step%'`
            }
            value={typed}
            aria-invalid={filterError ? 'true' : undefined}
            aria-describedby={filterError ? 'filter-error' : 'filter-help'}
            onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Apply</button>
          {list.filter && (
            <button type="button" onClick={() => go({ filter: '' })}>
              Clear
            </button>
          )}
          {filterError ? (
            <p id="filter-error" class="field-error" role="alert">
              {filterError}
            </p>
          ) : (
            <p id="filter-help" class="field-help">
              MLMD's filter syntax, e.g. <code>name = 'x'</code>,{' '}
              <code>custom_properties.lr.double_value &gt; 0.1</code>, <code>contexts_a.name = 'run-1'</code>.
            </p>
          )}
        </div>
        <label class="page-size">
          Rows per page{' '}
          <select
            value={String(list.size)}
            onChange={(e) => go({ size: Number((e.target as HTMLSelectElement).value) })}
          >
            {PAGE_SIZES.map((s) => (
              <option key={s} value={String(s)}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>

      {page.state === 'loading' && <Loading what={PLURAL[kind]} />}
      {page.state === 'failed' && !filterError && (
        <Failure error={page.error} retry={page.reload} what={PLURAL[kind]} />
      )}
      {page.state === 'done' && (
        <>
          <table class="nodes" data-testid="node-table" aria-label={PLURAL[kind]} aria-rowcount={-1}>
            <thead>
              <tr>
                {COLUMNS[kind].map((c) => (
                  <th
                    key={c.label}
                    scope="col"
                    aria-sort={c.sort && c.sort === list.sort ? (list.asc ? 'ascending' : 'descending') : undefined}
                  >
                    {c.sort ? (
                      <button
                        type="button"
                        class="sort"
                        title={`Sort by ${c.label.toLowerCase()}`}
                        onClick={() => go({ sort: c.sort, asc: c.sort === list.sort ? !list.asc : false })}
                      >
                        {c.label}
                        <span aria-hidden="true">{c.sort === list.sort ? (list.asc ? ' ▲' : ' ▼') : ''}</span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {page.value.rows.length === 0 ? (
                <tr>
                  <td colSpan={COLUMNS[kind].length} class="empty">
                    No {PLURAL[kind]}
                    {effectiveFilter(list) ? ' match the filter' : ''}.
                  </td>
                </tr>
              ) : (
                page.value.rows.map((n) => (
                  <tr key={String(n.id)} data-id={String(n.id)}>
                    {COLUMNS[kind].map((c) => (
                      <td key={c.label}>{c.cell(n, kind)}</td>
                    ))}
                  </tr>
                ))
              )}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages">
            <span class="range" data-testid="page-range">
              {page.value.rows.length
                ? `Rows ${first}–${first + page.value.rows.length - 1}${page.value.nextPageToken ? '' : ' (last page)'}`
                : ''}
            </span>
            <button type="button" disabled={list.tokens.length === 0} onClick={() => go({ tokens: [] })}>
              First page
            </button>
            <button
              type="button"
              disabled={list.tokens.length === 0}
              onClick={() => go({ tokens: list.tokens.slice(0, -1) })}
            >
              Previous page
            </button>
            <button
              type="button"
              disabled={!page.value.nextPageToken}
              onClick={() => go({ tokens: [...list.tokens, page.value.nextPageToken] })}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </div>
  );
}

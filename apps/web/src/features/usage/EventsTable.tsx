import type { Page, UsageEventResponse, UsageEventSort } from '@keyward/shared';
import type { ReactElement } from 'react';
import { formatCount, formatDateTime, formatRelative } from '../../app/format';
import { Pagination } from '../../components/Pagination';
import { formatMicros } from './usage-format';

export interface EventSort {
  sort: UsageEventSort;
  order: 'asc' | 'desc';
}

interface EventsTableProps {
  data: Page<UsageEventResponse>;
  busy: boolean;
  keyNames: ReadonlyMap<string, string>;
  sort: EventSort;
  onSort: (sort: EventSort) => void;
  onPage: (page: number) => void;
  /** Whether route, model or status filters narrow the list (for the empty message). */
  filtered: boolean;
}

const SORTABLE: Record<UsageEventSort, string> = {
  time: 'Time',
  latency: 'Latency',
  tokens: 'Tokens',
  cost: 'Cost',
};

function SortHeader({
  column,
  sort,
  onSort,
  numeric = false,
}: {
  column: UsageEventSort;
  sort: EventSort;
  onSort: (sort: EventSort) => void;
  numeric?: boolean;
}): ReactElement {
  const active = sort.sort === column;
  const next: EventSort = {
    sort: column,
    order: active && sort.order === 'desc' ? 'asc' : 'desc',
  };
  return (
    <th
      scope="col"
      className={numeric ? 'cell-number' : undefined}
      aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button
        type="button"
        className="sort-button"
        onClick={() => {
          onSort(next);
        }}
      >
        {SORTABLE[column]}
        <span aria-hidden="true" className="sort-button__arrow">
          {active ? (sort.order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

function statusTone(status: number): string {
  if (status < 400) return 'badge--success';
  if (status === 429 || status < 500) return 'badge--warning';
  return 'badge--danger';
}

export function EventsTable({
  data,
  busy,
  keyNames,
  sort,
  onSort,
  onPage,
  filtered,
}: EventsTableProps): ReactElement {
  return (
    <>
      <div className="table-wrap">
        <table className="table table--stack table--events" aria-busy={busy}>
          <thead>
            <tr>
              <SortHeader column="time" sort={sort} onSort={onSort} />
              <th scope="col">Key</th>
              <th scope="col">Route</th>
              <th scope="col">Model</th>
              <th scope="col">Status</th>
              <SortHeader column="latency" sort={sort} onSort={onSort} numeric />
              <SortHeader column="tokens" sort={sort} onSort={onSort} numeric />
              <SortHeader column="cost" sort={sort} onSort={onSort} numeric />
            </tr>
          </thead>
          <tbody>
            {data.items.map((event) => (
              <tr
                key={event.id}
                data-testid="usage-event-row"
                data-route={event.route}
                data-status={event.status}
              >
                <td data-label="Time">
                  <time dateTime={event.occurredAt} title={formatDateTime(event.occurredAt)}>
                    {formatRelative(event.occurredAt)}
                  </time>
                </td>
                <td data-label="Key" className="cell-strong">
                  {keyNames.get(event.keyId) ?? <span className="mono">{event.keyId}</span>}
                </td>
                <td data-label="Route">
                  {/* The route name already starts with its method: "POST /v1/chat/completions". */}
                  <span className="mono event-route">{event.route}</span>
                </td>
                <td data-label="Model">
                  {event.model ? (
                    <span className="mono">{event.model}</span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td data-label="Status">
                  <span
                    className={`badge ${statusTone(event.status)}`}
                    title={event.errorCode ?? undefined}
                  >
                    {event.status}
                  </span>
                </td>
                <td data-label="Latency" className="cell-number">
                  {formatCount(event.latencyMs)} ms
                </td>
                <td data-label="Tokens" className="cell-number">
                  {formatCount(event.inputTokens + event.outputTokens)}
                </td>
                <td data-label="Cost" className="cell-number">
                  {formatMicros(event.costMicros)}
                </td>
              </tr>
            ))}
            {data.items.length === 0 && (
              <tr>
                <td colSpan={8} className="table__empty">
                  {filtered
                    ? 'No requests match these filters in this period.'
                    : 'No requests in this period.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pagination
        data={data}
        label="Usage event pages"
        emptyText="No events"
        busy={busy}
        onPage={onPage}
      />
    </>
  );
}

import { useMemo, useState, type ReactElement } from 'react';
import { Link } from 'react-router';
import { formatCount } from '../../app/format';
import { useDebounced } from '../../app/useDebounced';
import { errorMessage } from '../../api/messages';
import { BarChart, type BarDatum } from '../../components/BarChart';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { useApiKeys } from '../keys/hooks';
import { DownloadCsvButton } from './DownloadCsvButton';
import { EMPTY_EVENT_FILTERS, isFiltered, type EventFilterValues } from './event-filters';
import { EventFilters } from './EventFilters';
import { EventsTable, type EventSort } from './EventsTable';
import {
  useUsageDaily,
  useUsageEndpoints,
  useUsageEvents,
  useUsageModels,
  useUsageSummary,
} from './hooks';
import { PeriodControls } from './PeriodControls';
import { PlanUsageCard } from './PlanUsageCard';
import { TotalsCard } from './TotalsCard';
import { dailyBars } from './usage-format';
import './usage.css';

const PAGE_SIZE = 20;
const DEFAULT_DAYS = 30;

function breakdownBars(rows: readonly { name: string; requests: number }[]): BarDatum[] {
  return rows.slice(0, 8).map((row) => ({
    label: row.name,
    value: row.requests,
    valueText: formatCount(row.requests),
  }));
}

export function UsageHome(): ReactElement {
  const [keyId, setKeyId] = useState('');
  const [days, setDays] = useState(DEFAULT_DAYS);
  const [filters, setFilters] = useState<EventFilterValues>(EMPTY_EVENT_FILTERS);
  const [sort, setSort] = useState<EventSort>({ sort: 'time', order: 'desc' });
  const [page, setPage] = useState(1);
  const period = useDebounced(days, 250);
  const key = keyId || undefined;

  // The key selector lists every key, revoked ones too: their history still counts.
  const keys = useApiKeys({ page: 1, pageSize: 100 });
  const summary = useUsageSummary(period, key);
  const daily = useUsageDaily(period, key);
  const endpoints = useUsageEndpoints(period, key);
  const models = useUsageModels(period, key);
  const events = useUsageEvents({
    page,
    pageSize: PAGE_SIZE,
    keyId: key,
    route: filters.route || undefined,
    model: filters.model || undefined,
    status: filters.status || undefined,
    days: period,
    sort: sort.sort,
    order: sort.order,
  });

  const keyList = useMemo(() => keys.data?.items ?? [], [keys.data]);
  const keyNames = useMemo(
    () => new Map(keyList.map((item) => [item.id, item.name] as const)),
    [keyList],
  );
  // Totals and breakdowns follow the key selector; the plan card is always the whole plan.
  const totals = summary.data?.totals;
  const firstError = [summary, daily, endpoints, models].find((query) => query.isError)?.error;
  const nothingYet = summary.data?.month.requests.used === 0 && summary.data.totals.requests === 0;

  return (
    <>
      <PageHeader
        title="Usage"
        description="Requests, tokens and spend through your keys, against your plan."
        actions={<DownloadCsvButton days={period} keyId={key} />}
      />
      <PeriodControls
        keys={keyList}
        keyId={keyId}
        onKey={(next) => {
          setKeyId(next);
          setPage(1);
        }}
        days={days}
        onDays={(next) => {
          setDays(next);
          setPage(1);
        }}
      />
      {firstError && <Alert title="Could not load usage">{errorMessage(firstError)}</Alert>}
      {summary.isPending && !firstError && <Spinner label="Loading usage…" />}
      {nothingYet && (
        <Alert tone="info" title="No requests yet">
          Call the API with one of your keys and the requests show up here within seconds.{' '}
          <Link to="/docs">See how to make a first request</Link>.
        </Alert>
      )}
      {totals && <TotalsCard totals={totals} days={period} />}
      <div className="usage-grid">
        <section className="card usage-grid__wide" aria-label="Daily requests">
          {daily.data ? (
            <BarChart
              title={`Requests per day${key ? ` · ${keyNames.get(key) ?? 'this key'}` : ''}`}
              data={dailyBars(daily.data.points)}
              emptyText="No requests in this period."
            />
          ) : (
            daily.isPending && <Spinner label="Loading daily requests…" />
          )}
        </section>
        {summary.data && <PlanUsageCard month={summary.data.month} />}
        <section className="card" aria-label="Popular endpoints">
          {endpoints.data ? (
            <BarChart
              title="Endpoints"
              orientation="horizontal"
              data={breakdownBars(endpoints.data.rows)}
              emptyText="No endpoint has been called in this period."
            />
          ) : (
            endpoints.isPending && <Spinner label="Loading endpoints…" />
          )}
        </section>
        <section className="card" aria-label="Popular models">
          {models.data ? (
            <BarChart
              title="Models"
              orientation="horizontal"
              data={breakdownBars(models.data.rows)}
              emptyText="No model has been used in this period."
            />
          ) : (
            models.isPending && <Spinner label="Loading models…" />
          )}
        </section>
      </div>
      <section className="card card--flush usage-events" aria-labelledby="events-heading">
        <div className="usage-events__header">
          <h2 id="events-heading" className="card__title">
            Event history
          </h2>
          <EventFilters
            applied={filters}
            routes={endpoints.data?.rows.map((row) => row.name) ?? []}
            models={models.data?.rows.map((row) => row.name) ?? []}
            onApply={(next) => {
              setFilters(next);
              setPage(1);
            }}
          />
        </div>
        {events.isPending && <Spinner label="Loading events…" />}
        {events.isError && (
          <Alert title="Could not load events">{errorMessage(events.error)}</Alert>
        )}
        {events.data && (
          <EventsTable
            data={events.data}
            busy={events.isFetching}
            keyNames={keyNames}
            sort={sort}
            onSort={(next) => {
              setSort(next);
              setPage(1);
            }}
            onPage={setPage}
            filtered={isFiltered(filters)}
          />
        )}
      </section>
    </>
  );
}

import { useState, type ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { ACTION_GROUPS, dayStart } from './audit-filters';
import { AuditTable } from './AuditTable';
import { ChainBanner } from './ChainBanner';
import { useAuditEvents } from './hooks';
import './audit.css';

const PAGE_SIZE = 25;

export function AuditHome(): ReactElement {
  const [action, setAction] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(1);
  const events = useAuditEvents({
    page,
    pageSize: PAGE_SIZE,
    action: action || undefined,
    from: dayStart(from),
    // The API's `to` is exclusive: ask for everything before the next day starts.
    to: dayStart(to, 1),
  });
  const filtered = action !== '' || from !== '' || to !== '';
  const rangeInverted = from !== '' && to !== '' && from > to;
  const data = events.data;

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who changed what, and when: an append-only record, chained by hashes."
      />
      <ChainBanner />
      <section className="card card--flush" aria-labelledby="audit-heading">
        <h2 id="audit-heading" className="visually-hidden">
          Audit entries
        </h2>
        <div className="audit-filters">
          <div className="audit-filter audit-filter--action">
            <label className="audit-filter__label" htmlFor="audit-action">
              Action
            </label>
            <select
              id="audit-action"
              className="select"
              value={action}
              onChange={(event) => {
                setAction(event.target.value);
                setPage(1);
              }}
            >
              <option value="">All actions</option>
              {ACTION_GROUPS.map((group) => (
                <optgroup key={group.prefix} label={`${group.prefix}.*`}>
                  <option value={group.prefix}>All {group.prefix}.* actions</option>
                  {group.actions.map((name) => (
                    <option key={name} value={name}>
                      {name}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </div>
          <div className="audit-filter">
            <label className="audit-filter__label" htmlFor="audit-from">
              From
            </label>
            <input
              id="audit-from"
              type="date"
              className="input"
              value={from}
              max={to || undefined}
              onChange={(event) => {
                setFrom(event.target.value);
                setPage(1);
              }}
            />
          </div>
          <div className="audit-filter">
            <label className="audit-filter__label" htmlFor="audit-to">
              To
            </label>
            <input
              id="audit-to"
              type="date"
              className="input"
              value={to}
              min={from || undefined}
              onChange={(event) => {
                setTo(event.target.value);
                setPage(1);
              }}
            />
          </div>
          {filtered && (
            <button
              type="button"
              className="button button--ghost audit-filters__clear"
              onClick={() => {
                setAction('');
                setFrom('');
                setTo('');
                setPage(1);
              }}
            >
              Clear filters
            </button>
          )}
        </div>
        {rangeInverted && (
          <div className="audit-state">
            <Alert tone="info">The “From” date is after the “To” date, so nothing can match.</Alert>
          </div>
        )}
        {events.isPending && (
          <div className="audit-state">
            <Spinner label="Loading the audit log…" />
          </div>
        )}
        {events.isError && (
          <div className="audit-state">
            <Alert title="Could not load the audit log">{errorMessage(events.error)}</Alert>
          </div>
        )}
        {data && data.total === 0 && !filtered ? (
          <div className="audit-empty">
            <h3 className="audit-empty__title">No entries yet</h3>
            <p className="audit-empty__text">
              Creating, regenerating or revoking keys, changing provider credentials and signing in
              all leave an entry here.
            </p>
          </div>
        ) : (
          data && <AuditTable data={data} busy={events.isFetching} onPage={setPage} />
        )}
      </section>
    </>
  );
}

import type { AuditEventResponse, Page } from '@keyward/shared';
import type { ReactElement } from 'react';
import { formatDateTime, formatRelative } from '../../app/format';
import { shortUserAgent, targetLabel } from './audit-filters';
import { Pagination } from '../../components/Pagination';

const COLUMNS = ['Time', 'Action', 'Target', 'IP address', 'User agent'];

function actionTone(action: string): string {
  if (/failed|leaked|reuse|revoke|delete/.test(action)) return 'audit-action--danger';
  if (action.startsWith('auth.')) return 'audit-action--auth';
  return '';
}

function AuditRow({ event }: { event: AuditEventResponse }): ReactElement {
  const name = typeof event.details.name === 'string' ? event.details.name : null;
  const target = targetLabel(event.targetType, event.targetId);
  return (
    <tr data-testid="audit-row" data-action={event.action}>
      <td data-label="Time">
        <span className="audit-time">
          <time dateTime={event.createdAt} title={formatDateTime(event.createdAt)}>
            {formatRelative(event.createdAt)}
          </time>
          <span className="audit-seq">#{event.sequence}</span>
        </span>
      </td>
      <td data-label="Action">
        <code className={`audit-action ${actionTone(event.action)}`}>{event.action}</code>
      </td>
      <td data-label="Target">
        {target || name ? (
          <span className="audit-target" title={event.targetId ?? undefined}>
            {name && <span className="audit-target__name">{name}</span>}
            {target && <span className="audit-target__id">{target}</span>}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td data-label="IP address">
        {event.ip ? <span className="mono">{event.ip}</span> : <span className="muted">—</span>}
      </td>
      <td data-label="User agent">
        {event.userAgent ? (
          <span className="audit-agent" title={event.userAgent}>
            {shortUserAgent(event.userAgent)}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

interface AuditTableProps {
  data: Page<AuditEventResponse>;
  busy: boolean;
  onPage: (page: number) => void;
}

export function AuditTable({ data, busy, onPage }: AuditTableProps): ReactElement {
  return (
    <>
      <div className="table-wrap">
        <table className="table table--stack table--audit" aria-busy={busy}>
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <th key={column} scope="col">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.items.map((event) => (
              <AuditRow key={event.id} event={event} />
            ))}
            {data.items.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="table__empty">
                  No entries match these filters.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pagination
        data={data}
        label="Audit log pages"
        emptyText="No entries"
        busy={busy}
        onPage={onPage}
      />
    </>
  );
}

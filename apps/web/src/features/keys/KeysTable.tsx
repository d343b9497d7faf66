import type { ApiKeyResponse, Page } from '@keyward/shared';
import type { ReactElement } from 'react';
import { KeyRow, type KeyAction } from './KeyRow';

const COLUMNS = ['Name', 'Key', 'Scopes', 'Status', 'Created', 'Expires', 'Last used'];

interface KeysTableProps {
  data: Page<ApiKeyResponse>;
  busy: boolean;
  onAction: (action: KeyAction, key: ApiKeyResponse) => void;
  onPage: (page: number) => void;
}

export function KeysTable({ data, busy, onAction, onPage }: KeysTableProps): ReactElement {
  const lastPage = Math.max(1, Math.ceil(data.total / data.pageSize));
  const first = data.total > 0 ? (data.page - 1) * data.pageSize + 1 : 0;
  const last = data.items.length > 0 ? first + data.items.length - 1 : first;
  return (
    <>
      <div className="table-wrap">
        <table className="table table--stack table--keys" aria-busy={busy}>
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <th key={column} scope="col">
                  {column}
                </th>
              ))}
              <th scope="col" className="cell-number th-wrap">
                Requests (30 days)
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((key) => (
              <KeyRow key={key.id} apiKey={key} onAction={onAction} />
            ))}
            {data.items.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length + 2} className="table__empty">
                  No keys match these filters.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pagination" aria-label="API key pages">
        <p className="pagination__summary">
          {data.total === 0 ? 'No keys' : `${first}–${last} of ${data.total}`}
        </p>
        <div className="pagination__buttons">
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={data.page <= 1 || busy}
            onClick={() => {
              onPage(data.page - 1);
            }}
          >
            Previous
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={data.page >= lastPage || busy}
            onClick={() => {
              onPage(data.page + 1);
            }}
          >
            Next
          </button>
        </div>
      </nav>
    </>
  );
}

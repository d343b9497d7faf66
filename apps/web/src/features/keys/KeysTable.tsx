import type { ApiKeyResponse, Page } from '@keyward/shared';
import type { ReactElement } from 'react';
import { KeyRow, type KeyAction } from './KeyRow';
import { Pagination } from '../../components/Pagination';

const COLUMNS = ['Name', 'Key', 'Scopes', 'Status', 'Created', 'Expires', 'Last used'];

interface KeysTableProps {
  data: Page<ApiKeyResponse>;
  busy: boolean;
  onAction: (action: KeyAction, key: ApiKeyResponse) => void;
  onPage: (page: number) => void;
}

export function KeysTable({ data, busy, onAction, onPage }: KeysTableProps): ReactElement {
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
      <Pagination
        data={data}
        label="API key pages"
        emptyText="No keys"
        busy={busy}
        onPage={onPage}
      />
    </>
  );
}

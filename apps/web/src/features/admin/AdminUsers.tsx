import { useState, type ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { useCurrentUser } from '../auth/auth-context';
import { useAdminUsers } from './hooks';
import { UserRow } from './UserRow';

const PAGE_SIZE = 20;

export function AdminUsers(): ReactElement {
  const me = useCurrentUser();
  const [page, setPage] = useState(1);
  const users = useAdminUsers({ page, pageSize: PAGE_SIZE });
  const data = users.data;
  const lastPage = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;
  const first = data && data.total > 0 ? (data.page - 1) * data.pageSize + 1 : 0;
  const last = data && data.items.length > 0 ? first + data.items.length - 1 : first;

  return (
    <>
      <PageHeader
        title="Users"
        description="Everyone with a console account. Change a role or disable an account here."
      />
      {users.isPending && <Spinner label="Loading users…" />}
      {users.isError && <Alert title="Could not load users">{errorMessage(users.error)}</Alert>}
      {data && (
        <section className="card card--flush" aria-labelledby="users-heading">
          <h2 id="users-heading" className="visually-hidden">
            User list
          </h2>
          <div className="table-wrap">
            <table className="table table--stack" aria-busy={users.isFetching}>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((user) => (
                  <UserRow key={user.id} user={user} isSelf={user.id === me.id} />
                ))}
                {data.items.length === 0 && (
                  <tr>
                    <td colSpan={6} className="table__empty">
                      No users on this page.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <nav className="pagination" aria-label="User list pages">
            <p className="pagination__summary">
              {data.total === 0 ? 'No users' : `${first}–${last} of ${data.total}`}
            </p>
            <div className="pagination__buttons">
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={page <= 1 || users.isFetching}
                onClick={() => {
                  setPage((p) => p - 1);
                }}
              >
                Previous
              </button>
              <button
                type="button"
                className="button button--secondary button--small"
                disabled={page >= lastPage || users.isFetching}
                onClick={() => {
                  setPage((p) => p + 1);
                }}
              >
                Next
              </button>
            </div>
          </nav>
        </section>
      )}
    </>
  );
}

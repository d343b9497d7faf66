import { useState, type ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { Alert, PageHeader, Spinner } from '../../components/Feedback';
import { useCurrentUser } from '../auth/auth-context';
import { usePlans } from '../plans/hooks';
import { useAdminUsers } from './hooks';
import { UserRow } from './UserRow';
import { Pagination } from '../../components/Pagination';

const PAGE_SIZE = 20;

export function AdminUsers(): ReactElement {
  const me = useCurrentUser();
  const [page, setPage] = useState(1);
  const users = useAdminUsers({ page, pageSize: PAGE_SIZE });
  const plans = usePlans();
  const data = users.data;

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
                  <th scope="col">Plan</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((user) => (
                  <UserRow
                    key={user.id}
                    user={user}
                    isSelf={user.id === me.id}
                    plans={plans.data}
                  />
                ))}
                {data.items.length === 0 && (
                  <tr>
                    <td colSpan={7} className="table__empty">
                      No users on this page.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <Pagination
            data={data}
            label="User list pages"
            emptyText="No users"
            busy={users.isFetching}
            onPage={setPage}
          />
        </section>
      )}
    </>
  );
}

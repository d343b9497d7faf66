import { ROLES, type PlanResponse, type Role, type UserResponse } from '@keyward/shared';
import type { ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { useUpdateUser } from './hooks';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

interface UserRowProps {
  user: UserResponse;
  isSelf: boolean;
  /** Undefined while the plan list loads: the plan shows as text until then. */
  plans: readonly PlanResponse[] | undefined;
}

export function UserRow({ user, isSelf, plans }: UserRowProps): ReactElement {
  const update = useUpdateUser();
  const who = user.name ?? user.email;
  // While a change is on its way, show it; an error puts the server's value back.
  const pending = update.isPending ? update.variables.input : undefined;
  const role = pending?.role ?? user.role;
  const disabled = pending?.disabled ?? user.disabled;
  const planId = pending?.planId ?? user.planId;
  // Changing your own role or status could lock you out; another admin has to do it.
  const locked = isSelf || update.isPending;
  const toggleTone = disabled ? 'button--secondary' : 'button--danger-ghost';

  return (
    <tr data-testid="user-row" data-email={user.email}>
      <td className="cell-strong" data-label="Email">
        <span>
          {user.email}
          {isSelf && <span className="badge badge--neutral badge--inline">You</span>}
        </span>
      </td>
      <td data-label="Name">{user.name ?? <span className="muted">—</span>}</td>
      <td data-label="Role">
        <label className="visually-hidden" htmlFor={`role-${user.id}`}>
          Role for {who}
        </label>
        <select
          id={`role-${user.id}`}
          className="select"
          value={role}
          disabled={locked}
          onChange={(event) => {
            const role = event.target.value;
            if (isRole(role)) update.mutate({ id: user.id, input: { role } });
          }}
        >
          {ROLES.map((role) => (
            <option key={role} value={role}>
              {role === 'admin' ? 'Admin' : 'User'}
            </option>
          ))}
        </select>
      </td>
      <td data-label="Plan">
        {plans ? (
          <>
            <label className="visually-hidden" htmlFor={`plan-${user.id}`}>
              Plan for {who}
            </label>
            <select
              id={`plan-${user.id}`}
              className="select"
              value={planId}
              // Moving your own plan is fine: it changes limits, not access.
              disabled={update.isPending}
              onChange={(event) => {
                update.mutate({ id: user.id, input: { planId: event.target.value } });
              }}
            >
              {plans.map((plan) => (
                <option key={plan.id} value={plan.id}>
                  {plan.name}
                </option>
              ))}
            </select>
          </>
        ) : (
          planId
        )}
      </td>
      <td data-label="Status">
        <span className={`badge ${disabled ? 'badge--danger' : 'badge--success'}`}>
          {disabled ? 'Disabled' : 'Active'}
        </span>
      </td>
      <td data-label="Created">
        <time dateTime={user.createdAt}>{dateFormat.format(new Date(user.createdAt))}</time>
      </td>
      <td className="cell-actions">
        <button
          type="button"
          className={`button button--small ${toggleTone}`}
          disabled={locked}
          aria-label={`${disabled ? 'Enable' : 'Disable'} ${who}`}
          onClick={() => {
            update.mutate({ id: user.id, input: { disabled: !disabled } });
          }}
        >
          {disabled ? 'Enable' : 'Disable'}
        </button>
        {update.isError && (
          <p className="cell-error" role="alert">
            {errorMessage(update.error)}
          </p>
        )}
      </td>
    </tr>
  );
}

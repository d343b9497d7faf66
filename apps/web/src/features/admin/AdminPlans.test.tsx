import { describe, expect, it } from '@jest/globals';
import type { PlanResponse } from '@keyward/shared';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { formatDate } from '../../app/format';
import { mockFetch, renderWithQueries, type RecordedCall } from '../../test/render';
import { usePlans } from '../plans/hooks';
import { AdminPlans } from './AdminPlans';

const TEAM: PlanResponse = {
  id: 'team',
  name: 'Team',
  monthlyRequestLimit: 50_000,
  monthlyCostLimitMicros: 100_000_000,
  sortOrder: 1,
  retiredAt: null,
};

const LEGACY: PlanResponse = {
  id: 'legacy',
  name: 'Legacy',
  monthlyRequestLimit: 10_000,
  monthlyCostLimitMicros: null,
  sortOrder: 5,
  retiredAt: '2026-11-20T09:00:00.000Z',
};

const RETIRED_AT = '2026-12-02T15:30:00.000Z';

/** The users' open list, as the upgrade form and the Users page's plan picker read it. */
function OpenPlans(): ReactElement {
  const plans = usePlans();
  if (!plans.data) return <p>Loading open plans</p>;
  return <p>Open to users: {plans.data.map((plan) => plan.name).join(', ') || 'none'}</p>;
}

function sent(calls: RecordedCall[]): string[] {
  return calls.map((call) => `${call.method} ${call.url}`);
}

const planForm = (name: string): HTMLElement => screen.getByRole('form', { name: `Plan ${name}` });
const retiredRegion = (): HTMLElement => screen.getByRole('region', { name: 'Retired plans' });

describe('AdminPlans', () => {
  it('lists retired plans apart and retires an open plan once the admin confirms', async () => {
    const before = mockFetch({
      'GET /api/admin/plans': { status: 200, body: [TEAM, LEGACY] },
      'GET /api/plans': { status: 200, body: [TEAM] },
    });
    renderWithQueries(
      <>
        <AdminPlans />
        <OpenPlans />
      </>,
    );
    const user = userEvent.setup();

    await screen.findByRole('form', { name: 'Plan Team' });
    await screen.findByText('Open to users: Team');
    const legacy = within(retiredRegion()).getByRole('listitem', { name: 'Retired plan Legacy' });
    expect(legacy.getAttribute('data-plan')).toBe('legacy');
    expect(legacy.textContent).toContain('legacy');
    expect(legacy.textContent).toContain(`retired ${formatDate(LEGACY.retiredAt ?? '')}`);
    expect(screen.queryByRole('form', { name: 'Plan Legacy' })).toBeNull();

    // Cancel sends nothing.
    await user.click(within(planForm('Team')).getByRole('button', { name: 'Retire' }));
    const dialog = screen.getByRole('dialog', { name: 'Retire the Team plan?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(sent(before)).not.toContain('DELETE /api/admin/plans/team');

    const after = mockFetch({
      'DELETE /api/admin/plans/team': { status: 200, body: { ...TEAM, retiredAt: RETIRED_AT } },
      'GET /api/admin/plans': {
        status: 200,
        body: [
          { ...TEAM, retiredAt: RETIRED_AT },
          { ...LEGACY, name: 'Legacy (as read again)' },
        ],
      },
      'GET /api/plans': { status: 200, body: [] },
    });
    await user.click(within(planForm('Team')).getByRole('button', { name: 'Retire' }));
    await user.click(
      within(screen.getByRole('dialog', { name: 'Retire the Team plan?' })).getByRole('button', {
        name: 'Retire plan',
      }),
    );

    // Both lists are read again: the admin's (the new name shows it) and the users' open one.
    await within(retiredRegion()).findByRole('listitem', {
      name: 'Retired plan Legacy (as read again)',
    });
    await screen.findByText('Open to users: none');
    const team = within(retiredRegion()).getByRole('listitem', { name: 'Retired plan Team' });
    expect(team.getAttribute('data-plan')).toBe('team');
    expect(within(team).getByRole('button', { name: 'Open again' })).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Plan Team' })).toBeNull();
    expect(sent(after)).toEqual(
      expect.arrayContaining([
        'DELETE /api/admin/plans/team',
        'GET /api/admin/plans',
        'GET /api/plans',
      ]),
    );
    expect(sent(after)[0]).toBe('DELETE /api/admin/plans/team');
  });

  it("shows the server's reason beside the row when a plan cannot be retired", async () => {
    const message = '2 users are on the Team plan: move them to another plan first';
    const calls = mockFetch({
      'GET /api/admin/plans': { status: 200, body: [TEAM, LEGACY] },
      'DELETE /api/admin/plans/team': {
        status: 409,
        body: { statusCode: 409, code: 'plan_in_use', message },
      },
    });
    renderWithQueries(<AdminPlans />);
    const user = userEvent.setup();

    await user.click(
      within(await screen.findByRole('form', { name: 'Plan Team' })).getByRole('button', {
        name: 'Retire',
      }),
    );
    await user.click(
      within(screen.getByRole('dialog', { name: 'Retire the Team plan?' })).getByRole('button', {
        name: 'Retire plan',
      }),
    );

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not retire Team');
    expect(alert.textContent).toContain(message);
    expect(alert.closest('[data-plan]')?.getAttribute('data-plan')).toBe('team');
    expect(screen.queryByRole('dialog')).toBeNull();
    // Still open, and the admin can try again once its users have moved.
    const retire = within(planForm('Team')).getByRole('button', { name: 'Retire' });
    expect(retire.hasAttribute('disabled')).toBe(false);
    expect(
      within(retiredRegion()).queryByRole('listitem', { name: 'Retired plan Team' }),
    ).toBeNull();
    expect(sent(calls).filter((call) => call.startsWith('DELETE'))).toEqual([
      'DELETE /api/admin/plans/team',
    ]);
  });

  it('opens a retired plan again by saving it with its current values', async () => {
    mockFetch({ 'GET /api/admin/plans': { status: 200, body: [TEAM, LEGACY] } });
    renderWithQueries(<AdminPlans />);
    const user = userEvent.setup();
    const legacy = await screen.findByRole('listitem', { name: 'Retired plan Legacy' });

    const reopened = { ...LEGACY, retiredAt: null };
    const calls = mockFetch({
      'PUT /api/admin/plans/legacy': { status: 200, body: reopened },
      'GET /api/admin/plans': { status: 200, body: [TEAM, reopened] },
    });
    await user.click(within(legacy).getByRole('button', { name: 'Open again' }));

    const form = await screen.findByRole('form', { name: 'Plan Legacy' });
    expect(form.closest('[data-plan]')?.getAttribute('data-plan')).toBe('legacy');
    expect(screen.queryByRole('region', { name: 'Retired plans' })).toBeNull();
    expect(calls[0]).toEqual({
      method: 'PUT',
      url: '/api/admin/plans/legacy',
      body: {
        name: 'Legacy',
        monthlyRequestLimit: 10_000,
        monthlyCostLimitMicros: null,
        sortOrder: 5,
      },
    });
    await waitFor(() => {
      expect(sent(calls)).toContain('GET /api/admin/plans');
    });
  });
});

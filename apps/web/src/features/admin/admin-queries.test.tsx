import { describe, expect, it } from '@jest/globals';
import type { UpgradeRequestResponse } from '@keyward/shared';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockFetch, renderWithQueries } from '../../test/render';
import { useUpdateUser } from './hooks';
import { useUpgradeRequests } from './plan-hooks';

const PENDING: UpgradeRequestResponse = {
  id: 'upg_1',
  userId: 'usr_1',
  userEmail: 'someone@example.test',
  fromPlanId: 'free',
  toPlanId: 'pro',
  message: null,
  status: 'pending',
  decidedAt: null,
  createdAt: '2026-12-01T10:00:00.000Z',
};

/** The pending-requests list of one admin page beside the plan picker of another. */
function PendingAndPlanPicker() {
  const pending = useUpgradeRequests('pending');
  const update = useUpdateUser();
  return (
    <>
      <p>{pending.data ? `${pending.data.length} pending` : 'loading'}</p>
      <button
        onClick={() => {
          update.mutate({ id: 'usr_1', input: { planId: 'enterprise' } });
        }}
      >
        Move to enterprise
      </button>
    </>
  );
}

describe('admin queries', () => {
  it("refreshes the pending plan requests when an admin changes a user's plan", async () => {
    mockFetch({ 'GET /api/admin/upgrade-requests': { status: 200, body: [PENDING] } });
    renderWithQueries(<PendingAndPlanPicker />);
    expect(await screen.findByText('1 pending')).toBeTruthy();

    // The server settles the request with the plan change (superseded here).
    const calls = mockFetch({
      'PATCH /api/admin/users/usr_1': { status: 200, body: { id: 'usr_1', planId: 'enterprise' } },
      'GET /api/admin/upgrade-requests': { status: 200, body: [] },
    });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Move to enterprise' }));

    await waitFor(() => {
      expect(screen.getByText('0 pending')).toBeTruthy();
    });
    expect(calls.map((call) => `${call.method} ${call.url}`)).toContain(
      'GET /api/admin/upgrade-requests?status=pending',
    );
  });
});

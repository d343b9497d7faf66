import { describe, expect, it } from '@jest/globals';
import type { PlanResponse } from '@keyward/shared';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockFetch, renderWithQueries } from '../../test/render';
import { UpgradeRequestForm } from './UpgradeRequestForm';

const PLANS: PlanResponse[] = [
  {
    id: 'free',
    name: 'Free',
    monthlyRequestLimit: 1000,
    monthlyCostLimitMicros: 5_000_000,
    sortOrder: 0,
    retiredAt: null,
  },
  {
    id: 'pro',
    name: 'Pro',
    monthlyRequestLimit: 100_000,
    monthlyCostLimitMicros: 200_000_000,
    sortOrder: 1,
    retiredAt: null,
  },
  {
    id: 'enterprise',
    name: 'Enterprise',
    monthlyRequestLimit: null,
    monthlyCostLimitMicros: null,
    sortOrder: 2,
    retiredAt: null,
  },
];

const CREATED = {
  id: 'upg_1',
  userId: 'usr_1',
  userEmail: 'someone@example.test',
  fromPlanId: 'free',
  toPlanId: 'enterprise',
  message: 'Launching soon',
  status: 'pending',
  decidedAt: null,
  createdAt: '2026-11-30T10:00:00.000Z',
};

describe('UpgradeRequestForm', () => {
  it('offers every plan but the current one, with its limits', () => {
    mockFetch({});
    renderWithQueries(<UpgradeRequestForm plans={PLANS} currentPlanId="free" />);
    expect(screen.queryByRole('radio', { name: /Free/ })).toBeNull();
    expect(screen.getByRole('radio', { name: /Pro/ })).toBeTruthy();
    expect(screen.getByText('100,000 requests · $200.00 a month')).toBeTruthy();
    expect(screen.getByText('Unlimited requests · unlimited spend a month')).toBeTruthy();
  });

  it('sends the chosen plan and the message', async () => {
    const calls = mockFetch({ 'POST /api/plans/upgrade-requests': { status: 201, body: CREATED } });
    renderWithQueries(<UpgradeRequestForm plans={PLANS} currentPlanId="free" />);
    const user = userEvent.setup();
    await user.click(screen.getByRole('radio', { name: /Enterprise/ }));
    await user.type(screen.getByLabelText(/Message/), 'Launching soon');
    await user.click(screen.getByRole('button', { name: 'Request upgrade' }));
    await waitFor(() => {
      expect(calls).toHaveLength(1);
    });
    expect(calls[0]).toEqual({
      method: 'POST',
      url: '/api/plans/upgrade-requests',
      body: { planId: 'enterprise', message: 'Launching soon' },
    });
  });

  it('leaves a blank message out and shows why the API refused', async () => {
    const calls = mockFetch({
      'POST /api/plans/upgrade-requests': {
        status: 409,
        body: { statusCode: 409, code: 'conflict', message: 'You already have an open request.' },
      },
    });
    renderWithQueries(<UpgradeRequestForm plans={PLANS} currentPlanId="free" />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/Message/), '   ');
    await user.click(screen.getByRole('button', { name: 'Request upgrade' }));
    await screen.findByText('You already have an open request.');
    expect(calls[0]?.body).toEqual({ planId: 'pro' });
  });
});

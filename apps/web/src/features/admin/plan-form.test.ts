import { describe, expect, it } from '@jest/globals';
import { draftFromPlan, planFromDraft } from './plan-form';

describe('plan limits editor', () => {
  it('reads blank limits as unlimited', () => {
    expect(planFromDraft({ name: ' Team ', requests: '', dollars: '' })).toEqual({
      ok: true,
      value: { name: 'Team', monthlyRequestLimit: null, monthlyCostLimitMicros: null },
    });
  });

  it('turns dollars into whole micro-dollars without floating-point drift', () => {
    const result = planFromDraft({ name: 'Pro', requests: '100,000', dollars: '$4.99' });
    expect(result).toEqual({
      ok: true,
      value: { name: 'Pro', monthlyRequestLimit: 100_000, monthlyCostLimitMicros: 4_990_000 },
    });
  });

  it('refuses what is not a count or an amount', () => {
    expect(planFromDraft({ name: '', requests: '1.5', dollars: 'five' })).toEqual({
      ok: false,
      errors: {
        name: 'Give the plan a name.',
        requests: 'A whole number of requests, or blank for unlimited.',
        dollars: 'An amount in dollars (up to 6 decimals), or blank for unlimited.',
      },
    });
  });

  it('round-trips a plan', () => {
    const plan = {
      id: 'free',
      name: 'Free',
      monthlyRequestLimit: 1000,
      monthlyCostLimitMicros: 5_000_000,
      sortOrder: 0,
      retiredAt: null,
    };
    expect(draftFromPlan(plan)).toEqual({ name: 'Free', requests: '1000', dollars: '5' });
  });
});

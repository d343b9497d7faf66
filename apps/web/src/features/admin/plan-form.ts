import { MICROS_PER_USD, type PlanResponse } from '@keyward/shared';

/** A plan's limits as the editor's text boxes hold them: blank means unlimited. */
export interface PlanDraft {
  name: string;
  requests: string;
  /** Dollars, e.g. "5" or "199.99". */
  dollars: string;
}

export function draftFromPlan(plan: PlanResponse): PlanDraft {
  return {
    name: plan.name,
    requests: plan.monthlyRequestLimit === null ? '' : String(plan.monthlyRequestLimit),
    dollars:
      plan.monthlyCostLimitMicros === null
        ? ''
        : String(plan.monthlyCostLimitMicros / MICROS_PER_USD),
  };
}

export type PlanDraftResult =
  | {
      ok: true;
      value: {
        name: string;
        monthlyRequestLimit: number | null;
        monthlyCostLimitMicros: number | null;
      };
    }
  | { ok: false; errors: Partial<Record<keyof PlanDraft, string>> };

/**
 * The draft as the API's body. Dollars become integer micro-dollars here, so "4.99" is exactly
 * 4,990,000 rather than whatever 4.99 * 1e6 rounds to in floating point.
 */
export function planFromDraft(draft: PlanDraft): PlanDraftResult {
  const errors: Partial<Record<keyof PlanDraft, string>> = {};
  const name = draft.name.trim();
  if (!name) errors.name = 'Give the plan a name.';
  let monthlyRequestLimit: number | null = null;
  if (draft.requests.trim() !== '') {
    const text = draft.requests.trim().replace(/[,_\s]/g, '');
    if (!/^\d+$/.test(text)) {
      errors.requests = 'A whole number of requests, or blank for unlimited.';
    } else {
      monthlyRequestLimit = Number(text);
    }
  }
  let monthlyCostLimitMicros: number | null = null;
  if (draft.dollars.trim() !== '') {
    const match = /^\$?(\d+)(?:\.(\d{1,6}))?$/.exec(draft.dollars.trim().replace(/,/g, ''));
    if (!match) {
      errors.dollars = 'An amount in dollars (up to 6 decimals), or blank for unlimited.';
    } else {
      const whole = Number(match[1]);
      const fraction = Number((match[2] ?? '').padEnd(6, '0'));
      monthlyCostLimitMicros = whole * MICROS_PER_USD + fraction;
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { name, monthlyRequestLimit, monthlyCostLimitMicros } };
}

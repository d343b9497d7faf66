import type {
  ApiKeyUsageResponse,
  Page,
  UsageBreakdownResponse,
  UsageDailyResponse,
  UsageEventResponse,
  UsageSummaryResponse,
} from '@keyward/shared';
import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { api, type ApiError, type UsageEventParams } from '../../api/client';
import { periodBounds } from './usage-format';

export const usageQueryKeys = {
  all: ['usage'] as const,
  summary: (days: number, keyId?: string) => ['usage', 'summary', days, keyId] as const,
  daily: (days: number, keyId: string | undefined) => ['usage', 'daily', days, keyId] as const,
  endpoints: (days: number, keyId?: string) => ['usage', 'endpoints', days, keyId] as const,
  models: (days: number, keyId?: string) => ['usage', 'models', days, keyId] as const,
  events: (filter: UsageEventsFilter) => ['usage', 'events', filter] as const,
  forKey: (id: string, days: number) => ['usage', 'key', id, days] as const,
};

// The period slider moves in steps; keeping the previous answer on screen avoids a flash of
// spinners on every step.
const SMOOTH = { placeholderData: keepPreviousData } as const;

/**
 * GET /api/usage/summary?days=&keyId= (totals for the period, of one key if given, and this
 * month against the plan)
 */
export function useUsageSummary(
  days: number,
  keyId?: string,
): UseQueryResult<UsageSummaryResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.summary(days, keyId),
    queryFn: () => api.usage.summary(days, keyId),
    ...SMOOTH,
  });
}

/** GET /api/usage/daily?days=&keyId= */
export function useUsageDaily(
  days: number,
  keyId: string | undefined,
): UseQueryResult<UsageDailyResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.daily(days, keyId),
    queryFn: () => api.usage.daily(days, keyId),
    ...SMOOTH,
  });
}

/** GET /api/usage/endpoints?days=&keyId= */
export function useUsageEndpoints(
  days: number,
  keyId?: string,
): UseQueryResult<UsageBreakdownResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.endpoints(days, keyId),
    queryFn: () => api.usage.endpoints(days, keyId),
    ...SMOOTH,
  });
}

/** GET /api/usage/models?days=&keyId= */
export function useUsageModels(
  days: number,
  keyId?: string,
): UseQueryResult<UsageBreakdownResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.models(days, keyId),
    queryFn: () => api.usage.models(days, keyId),
    ...SMOOTH,
  });
}

export interface UsageEventsFilter extends Omit<UsageEventParams, 'from' | 'to'> {
  /** The period: events from this many days ago until now. */
  days: number;
}

/** GET /api/usage/events?keyId=&route=&model=&status=&from=&sort=&order=&page=&pageSize= */
export function useUsageEvents(
  filter: UsageEventsFilter,
): UseQueryResult<Page<UsageEventResponse>, ApiError> {
  const { days, ...params } = filter;
  return useQuery({
    queryKey: usageQueryKeys.events(filter),
    // "Now" is read when the request goes out, so a refetch covers the latest events too.
    queryFn: () => api.usage.events({ ...params, from: periodBounds(days).from }),
    ...SMOOTH,
  });
}

/** GET /api/api-keys/:id/usage?days= */
export function useKeyUsage(
  id: string,
  days: number,
): UseQueryResult<ApiKeyUsageResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.forKey(id, days),
    queryFn: () => api.usage.forKey(id, days),
  });
}

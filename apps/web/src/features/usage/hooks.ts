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

export const usageQueryKeys = {
  all: ['usage'] as const,
  summary: (days: number) => ['usage', 'summary', days] as const,
  daily: (days: number, keyId: string | undefined) => ['usage', 'daily', days, keyId] as const,
  endpoints: (days: number) => ['usage', 'endpoints', days] as const,
  models: (days: number) => ['usage', 'models', days] as const,
  events: (params: UsageEventParams) => ['usage', 'events', params] as const,
  forKey: (id: string, days: number) => ['usage', 'key', id, days] as const,
};

// The period slider moves in steps; keeping the previous answer on screen avoids a flash of
// spinners on every step.
const SMOOTH = { placeholderData: keepPreviousData } as const;

/** GET /api/usage/summary?days= (totals for the period and this month against the plan) */
export function useUsageSummary(days: number): UseQueryResult<UsageSummaryResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.summary(days),
    queryFn: () => api.usage.summary(days),
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

/** GET /api/usage/endpoints?days= */
export function useUsageEndpoints(days: number): UseQueryResult<UsageBreakdownResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.endpoints(days),
    queryFn: () => api.usage.endpoints(days),
    ...SMOOTH,
  });
}

/** GET /api/usage/models?days= */
export function useUsageModels(days: number): UseQueryResult<UsageBreakdownResponse, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.models(days),
    queryFn: () => api.usage.models(days),
    ...SMOOTH,
  });
}

/** GET /api/usage/events?keyId=&route=&model=&status=&from=&sort=&order=&page=&pageSize= */
export function useUsageEvents(
  params: UsageEventParams,
): UseQueryResult<Page<UsageEventResponse>, ApiError> {
  return useQuery({
    queryKey: usageQueryKeys.events(params),
    queryFn: () => api.usage.events(params),
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

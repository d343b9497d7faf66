import type { HealthResponse } from '@keyward/shared';
import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import { api, type ApiError } from '../../api/client';

export const healthQueryKey = ['health'] as const;

/** GET /api/health, refreshed every 30 s while the overview is open. */
export function useHealth(): UseQueryResult<HealthResponse, ApiError> {
  return useQuery({ queryKey: healthQueryKey, queryFn: api.health, refetchInterval: 30_000 });
}

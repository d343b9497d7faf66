import type { CreateUpgradeRequest, PlanResponse, UpgradeRequestResponse } from '@keyward/shared';
import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { api, type ApiError } from '../../api/client';

export const plansQueryKeys = {
  all: ['plans'] as const,
  list: ['plans', 'list'] as const,
  ownRequests: ['plans', 'upgrade-requests'] as const,
};

/** GET /api/plans, in the plans' own order (free, pro, enterprise). */
export function usePlans(): UseQueryResult<PlanResponse[], ApiError> {
  return useQuery({
    queryKey: plansQueryKeys.list,
    queryFn: api.plans.list,
    select: (plans) => [...plans].sort((a, b) => a.sortOrder - b.sortOrder),
  });
}

/** GET /api/plans/upgrade-requests: the signed-in user's own requests, newest first. */
export function useOwnUpgradeRequests(): UseQueryResult<UpgradeRequestResponse[], ApiError> {
  return useQuery({ queryKey: plansQueryKeys.ownRequests, queryFn: api.plans.ownUpgradeRequests });
}

/** POST /api/plans/upgrade-requests */
export function useRequestUpgrade(): UseMutationResult<
  UpgradeRequestResponse,
  ApiError,
  CreateUpgradeRequest
> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input) => api.plans.requestUpgrade(input),
    onSuccess: (created) => {
      queryClient.setQueryData<UpgradeRequestResponse[]>(plansQueryKeys.ownRequests, (list) => [
        created,
        ...(list ?? []),
      ]);
      void queryClient.invalidateQueries({ queryKey: plansQueryKeys.ownRequests });
    },
  });
}

import type { PlanResponse, UpgradeRequestResponse, UpsertPlanRequest } from '@keyward/shared';
import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { api, type ApiError } from '../../api/client';
import { plansQueryKeys } from '../plans/hooks';
import { adminUpgradeQueryKeys, adminUsersQueryKeys } from './query-keys';

export type UpgradeStatus = UpgradeRequestResponse['status'];

/** PUT /api/admin/plans/:id */
export function useSavePlan(): UseMutationResult<
  PlanResponse,
  ApiError,
  { id: string; input: UpsertPlanRequest }
> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }) => api.admin.savePlan(id, input),
    onSuccess: (saved) => {
      queryClient.setQueryData<PlanResponse[]>(plansQueryKeys.list, (plans) =>
        plans?.map((plan) => (plan.id === saved.id ? saved : plan)),
      );
      void queryClient.invalidateQueries({ queryKey: plansQueryKeys.all });
    },
  });
}

/** GET /api/admin/upgrade-requests?status= */
export function useUpgradeRequests(
  status: UpgradeStatus | undefined,
): UseQueryResult<UpgradeRequestResponse[], ApiError> {
  return useQuery({
    queryKey: adminUpgradeQueryKeys.list(status),
    queryFn: () => api.admin.upgradeRequests(status),
  });
}

/** POST /api/admin/upgrade-requests/:id/decision; an approval moves the user's plan. */
export function useDecideUpgrade(): UseMutationResult<
  UpgradeRequestResponse,
  ApiError,
  { id: string; status: 'approved' | 'declined' }
> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status }) => api.admin.decideUpgrade(id, status),
    onSettled: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: adminUpgradeQueryKeys.all }),
        queryClient.invalidateQueries({ queryKey: adminUsersQueryKeys.all }),
      ]);
    },
  });
}

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
import { adminPlansQueryKeys, adminUpgradeQueryKeys, adminUsersQueryKeys } from './query-keys';

export type UpgradeStatus = UpgradeRequestResponse['status'];

/** Open plans first, each group in the plans' own order: the order the server lists them in. */
function openFirst(a: PlanResponse, b: PlanResponse): number {
  return Number(a.retiredAt !== null) - Number(b.retiredAt !== null) || a.sortOrder - b.sortOrder;
}

/** GET /api/admin/plans: every plan, retired ones included (usePlans lists the open ones). */
export function useAdminPlans(): UseQueryResult<PlanResponse[], ApiError> {
  return useQuery({
    queryKey: adminPlansQueryKeys.all,
    queryFn: api.admin.plans,
    // Sorted here too, so a plan just retired or opened again moves to its place at once.
    select: (plans) => [...plans].sort(openFirst),
  });
}

/**
 * Shows the server's answer for one plan at once in both plan lists, then has both read again:
 * the users' open list feeds the upgrade form and the Users page's plan picker.
 */
function usePlanChanged(): (changed: PlanResponse) => void {
  const queryClient = useQueryClient();
  return (changed) => {
    const replace = (plan: PlanResponse): PlanResponse => (plan.id === changed.id ? changed : plan);
    queryClient.setQueryData<PlanResponse[]>(adminPlansQueryKeys.all, (plans) =>
      plans?.map(replace),
    );
    // A plan opened again is not in the open list yet: the read below brings it.
    queryClient.setQueryData<PlanResponse[]>(plansQueryKeys.list, (plans) =>
      changed.retiredAt === null
        ? plans?.map(replace)
        : plans?.filter((plan) => plan.id !== changed.id),
    );
    void queryClient.invalidateQueries({ queryKey: adminPlansQueryKeys.all });
    void queryClient.invalidateQueries({ queryKey: plansQueryKeys.all });
  };
}

/** PUT /api/admin/plans/:id; a retired plan saved again is open again. */
export function useSavePlan(): UseMutationResult<
  PlanResponse,
  ApiError,
  { id: string; input: UpsertPlanRequest }
> {
  const planChanged = usePlanChanged();
  return useMutation({
    mutationFn: ({ id, input }) => api.admin.savePlan(id, input),
    onSuccess: planChanged,
  });
}

/** DELETE /api/admin/plans/:id; the server declines the pending requests for the plan. */
export function useRetirePlan(): UseMutationResult<PlanResponse, ApiError, string> {
  const queryClient = useQueryClient();
  const planChanged = usePlanChanged();
  return useMutation({
    mutationFn: (id) => api.admin.retirePlan(id),
    onSuccess: (retired) => {
      planChanged(retired);
      void queryClient.invalidateQueries({ queryKey: adminUpgradeQueryKeys.all });
    },
    onError: (error) => {
      // Unknown or already retired (by another admin, say): the list on screen is out of date.
      if (error.status === 404) {
        void queryClient.invalidateQueries({ queryKey: adminPlansQueryKeys.all });
      }
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

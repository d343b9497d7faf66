import type { Page, UserResponse } from '@keyward/shared';
import {
  keepPreviousData,
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { api, type ApiError, type PageParams, type UpdateUserInput } from '../../api/client';
import { adminUpgradeQueryKeys, adminUsersQueryKeys } from './query-keys';

/** GET /api/admin/users?page=&pageSize= */
export function useAdminUsers(params: PageParams): UseQueryResult<Page<UserResponse>, ApiError> {
  return useQuery({
    queryKey: adminUsersQueryKeys.page(params),
    queryFn: () => api.admin.listUsers(params),
    // Keep the current page on screen while the next one loads.
    placeholderData: keepPreviousData,
  });
}

export interface UpdateUserVariables {
  id: string;
  input: UpdateUserInput;
}

/** PATCH /api/admin/users/:id */
export function useUpdateUser(): UseMutationResult<UserResponse, ApiError, UpdateUserVariables> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }) => api.admin.updateUser(id, input),
    onSuccess: (updated, variables) => {
      // Show the change at once, then let the server's list settle any ordering.
      queryClient.setQueriesData<Page<UserResponse>>(
        { queryKey: adminUsersQueryKeys.all },
        (page) =>
          page
            ? {
                ...page,
                items: page.items.map((item) => (item.id === updated.id ? updated : item)),
              }
            : page,
      );
      void queryClient.invalidateQueries({ queryKey: adminUsersQueryKeys.all });
      // A plan change settles the user's pending request (approved or superseded on the server).
      if (variables.input.planId !== undefined) {
        void queryClient.invalidateQueries({ queryKey: adminUpgradeQueryKeys.all });
      }
    },
  });
}

import type { ChangePasswordRequest, MeResponse, UpdateProfileRequest } from '@keyward/shared';
import { useMutation, useQueryClient, type UseMutationResult } from '@tanstack/react-query';
import { api, type ApiError } from '../../api/client';
import { auditQueryKeys } from '../audit/hooks';
import { authQueryKeys } from '../auth/hooks';

/** PATCH /api/auth/me */
export function useUpdateProfile(): UseMutationResult<MeResponse, ApiError, UpdateProfileRequest> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.auth.updateProfile,
    onSuccess: async (body) => {
      queryClient.setQueryData<MeResponse>(authQueryKeys.me, body);
      await queryClient.invalidateQueries({ queryKey: auditQueryKeys.all });
    },
  });
}

/** POST /api/auth/password: this session stays signed in, every other one ends. */
export function useChangePassword(): UseMutationResult<void, ApiError, ChangePasswordRequest> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.auth.changePassword,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: auditQueryKeys.all }),
  });
}

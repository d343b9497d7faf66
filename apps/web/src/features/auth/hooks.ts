import type { LoginResponse, MeResponse, RegisterResponse } from '@keyward/shared';
import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { useEffect } from 'react';
import {
  api,
  getSession,
  type ApiError,
  type LoginInput,
  type RegisterInput,
} from '../../api/client';

export const authQueryKeys = {
  all: ['auth'] as const,
  me: ['auth', 'me'] as const,
};

/** POST /api/auth/refresh once on load, so a reload keeps the user signed in via the cookie. */
export function useRestoreSession(): void {
  useEffect(() => {
    if (getSession().status !== 'unknown') return;
    api.auth.refresh().catch(() => {
      // A server that cannot answer leaves the session "unreachable", which the pages show.
    });
  }, []);
}

/** GET /api/auth/me */
export function useMe(): UseQueryResult<MeResponse, ApiError> {
  return useQuery({ queryKey: authQueryKeys.me, queryFn: api.auth.me });
}

/** POST /api/auth/login */
export function useLogin(): UseMutationResult<LoginResponse, ApiError, LoginInput> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.auth.login,
    onSuccess: (body) => {
      queryClient.setQueryData<MeResponse>(authQueryKeys.me, { user: body.user });
    },
  });
}

/** POST /api/auth/register */
export function useRegister(): UseMutationResult<RegisterResponse, ApiError, RegisterInput> {
  return useMutation({ mutationFn: api.auth.register });
}

/** POST /api/auth/logout */
export function useLogout(): UseMutationResult<void, ApiError, void> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.auth.logout,
    // Nothing cached for this user may outlive the session.
    onSettled: () => {
      queryClient.clear();
    },
  });
}

import type {
  CreateProviderKeyRequest,
  ProviderInfo,
  ProviderKeyResponse,
  ProviderKeyTestResponse,
  ProviderPreferencesRequest,
  ProviderPreferencesResponse,
  ProviderStatusEntry,
  UpdateProviderKeyRequest,
} from '@keyward/shared';
import {
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { api, type ApiError } from '../../api/client';

export const providersQueryKeys = {
  all: ['providers'] as const,
  catalogue: ['providers', 'catalogue'] as const,
  status: ['providers', 'status'] as const,
  keys: ['providers', 'keys'] as const,
  preferences: ['providers', 'preferences'] as const,
};

// Requests that carry a provider secret must not stay in the mutation cache (their variables
// hold the key) once the dialog that sent them has gone.
const SECRET_MUTATION = { gcTime: 0 } as const;

/** A key's status feeds its provider's card badge, so both are refreshed together. */
function refreshKeysAndStatus(queryClient: QueryClient): Promise<void> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: providersQueryKeys.keys }),
    queryClient.invalidateQueries({ queryKey: providersQueryKeys.status }),
  ]).then(() => undefined);
}

/** GET /api/providers: the catalogue does not change while the app runs. */
export function useProviderCatalogue(): UseQueryResult<ProviderInfo[], ApiError> {
  return useQuery({
    queryKey: providersQueryKeys.catalogue,
    queryFn: api.providers.catalogue,
    staleTime: Infinity,
  });
}

/** GET /api/providers/status */
export function useProviderStatus(): UseQueryResult<ProviderStatusEntry[], ApiError> {
  return useQuery({ queryKey: providersQueryKeys.status, queryFn: api.providers.status });
}

/** GET /api/provider-keys */
export function useProviderKeys(): UseQueryResult<ProviderKeyResponse[], ApiError> {
  return useQuery({ queryKey: providersQueryKeys.keys, queryFn: api.providers.listKeys });
}

/** POST /api/provider-keys (verified by the server before it answers). */
export function useCreateProviderKey(): UseMutationResult<
  ProviderKeyResponse,
  ApiError,
  CreateProviderKeyRequest
> {
  const queryClient = useQueryClient();
  return useMutation({
    ...SECRET_MUTATION,
    mutationFn: api.providers.createKey,
    onSuccess: () => refreshKeysAndStatus(queryClient),
  });
}

export interface UpdateProviderKeyVariables {
  id: string;
  input: UpdateProviderKeyRequest;
}

/** PUT /api/provider-keys/:id */
export function useUpdateProviderKey(): UseMutationResult<
  ProviderKeyResponse,
  ApiError,
  UpdateProviderKeyVariables
> {
  const queryClient = useQueryClient();
  return useMutation({
    ...SECRET_MUTATION,
    mutationFn: ({ id, input }) => api.providers.updateKey(id, input),
    onSuccess: () => refreshKeysAndStatus(queryClient),
  });
}

/** DELETE /api/provider-keys/:id */
export function useDeleteProviderKey(): UseMutationResult<void, ApiError, string> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.providers.deleteKey,
    onSuccess: () => refreshKeysAndStatus(queryClient),
  });
}

/** POST /api/provider-keys/:id/test */
export function useTestProviderKey(): UseMutationResult<ProviderKeyTestResponse, ApiError, string> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.providers.testKey,
    onSettled: () => refreshKeysAndStatus(queryClient),
  });
}

/** GET /api/provider-preferences */
export function useProviderPreferences(): UseQueryResult<ProviderPreferencesResponse, ApiError> {
  return useQuery({ queryKey: providersQueryKeys.preferences, queryFn: api.providers.preferences });
}

/** PUT /api/provider-preferences */
export function useSaveProviderPreferences(): UseMutationResult<
  ProviderPreferencesResponse,
  ApiError,
  ProviderPreferencesRequest
> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.providers.savePreferences,
    onSuccess: (saved) => {
      queryClient.setQueryData(providersQueryKeys.preferences, saved);
    },
  });
}

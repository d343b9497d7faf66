import type {
  ApiKeyResponse,
  CreateApiKeyRequest,
  CreatedApiKeyResponse,
  Page,
  RegeneratedApiKeyResponse,
  ScopeCatalogueResponse,
  UpdateApiKeyRequest,
} from '@keyward/shared';
import {
  keepPreviousData,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { api, type ApiError, type ApiKeyListParams } from '../../api/client';

export const apiKeysQueryKeys = {
  all: ['api-keys'] as const,
  list: (params: ApiKeyListParams) => ['api-keys', 'list', params] as const,
  scopes: ['api-keys', 'scopes'] as const,
};

// Responses that carry a plaintext key must not linger in the mutation cache once the dialog
// that showed them has gone: gcTime 0 drops them as soon as no component observes them.
const SECRET_MUTATION = { gcTime: 0 } as const;

function replaceInLists(queryClient: QueryClient, updated: ApiKeyResponse): void {
  queryClient.setQueriesData<Page<ApiKeyResponse>>(
    { queryKey: [...apiKeysQueryKeys.all, 'list'] },
    (page) =>
      page && {
        ...page,
        items: page.items.map((item) => (item.id === updated.id ? updated : item)),
      },
  );
}

/** GET /api/api-keys/scopes */
export function useScopeCatalogue(): UseQueryResult<ScopeCatalogueResponse, ApiError> {
  return useQuery({
    queryKey: apiKeysQueryKeys.scopes,
    queryFn: api.keys.scopes,
    staleTime: Infinity,
  });
}

/** GET /api/api-keys?status=&name=&page=&pageSize= */
export function useApiKeys(
  params: ApiKeyListParams,
): UseQueryResult<Page<ApiKeyResponse>, ApiError> {
  return useQuery({
    queryKey: apiKeysQueryKeys.list(params),
    queryFn: () => api.keys.list(params),
    placeholderData: keepPreviousData,
  });
}

/** POST /api/api-keys: the only answer, with regenerate, that holds the plaintext key. */
export function useCreateApiKey(): UseMutationResult<
  CreatedApiKeyResponse,
  ApiError,
  CreateApiKeyRequest
> {
  const queryClient = useQueryClient();
  return useMutation({
    ...SECRET_MUTATION,
    mutationFn: api.keys.create,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiKeysQueryKeys.all }),
  });
}

export interface UpdateApiKeyVariables {
  id: string;
  input: UpdateApiKeyRequest;
}

/** PATCH /api/api-keys/:id */
export function useUpdateApiKey(): UseMutationResult<
  ApiKeyResponse,
  ApiError,
  UpdateApiKeyVariables
> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }) => api.keys.update(id, input),
    onSuccess: async (updated) => {
      replaceInLists(queryClient, updated);
      await queryClient.invalidateQueries({ queryKey: apiKeysQueryKeys.all });
    },
  });
}

interface RevokeContext {
  previous: [readonly unknown[], Page<ApiKeyResponse> | undefined][];
}

/** DELETE /api/api-keys/:id (revoke), shown as revoked at once and rolled back on failure. */
export function useRevokeApiKey(): UseMutationResult<
  void,
  ApiError,
  ApiKeyResponse,
  RevokeContext
> {
  const queryClient = useQueryClient();
  const lists = { queryKey: [...apiKeysQueryKeys.all, 'list'] };
  return useMutation({
    mutationFn: (key) => api.keys.revoke(key.id),
    onMutate: async (key) => {
      await queryClient.cancelQueries(lists);
      const previous = queryClient.getQueriesData<Page<ApiKeyResponse>>(lists);
      replaceInLists(queryClient, {
        ...key,
        status: 'revoked',
        revokedAt: new Date().toISOString(),
      });
      return { previous };
    },
    onError: (_error, _key, context) => {
      for (const [queryKey, data] of context?.previous ?? []) {
        queryClient.setQueryData(queryKey, data);
      }
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: apiKeysQueryKeys.all }),
  });
}

export interface RegenerateApiKeyVariables {
  id: string;
  gracePeriodSeconds: number;
}

/** POST /api/api-keys/:id/regenerate */
export function useRegenerateApiKey(): UseMutationResult<
  RegeneratedApiKeyResponse,
  ApiError,
  RegenerateApiKeyVariables
> {
  const queryClient = useQueryClient();
  return useMutation({
    ...SECRET_MUTATION,
    mutationFn: ({ id, gracePeriodSeconds }) => api.keys.regenerate(id, { gracePeriodSeconds }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiKeysQueryKeys.all }),
  });
}

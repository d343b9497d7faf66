import type {
  WebhookResponse,
  WebhookTestResponse,
  WebhookWithSecretResponse,
} from '@keyward/shared';
import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';

export const webhookQueryKeys = {
  current: ['webhook'] as const,
};

// Answers that carry the signing secret must not stay in the mutation cache after the dialog
// that shows them closes (as with API keys).
const SECRET_MUTATION = { gcTime: 0 } as const;

/** GET /api/settings/webhook; null when none is set (the API answers 404). */
export function useWebhook(): UseQueryResult<WebhookResponse | null, ApiError> {
  return useQuery({
    queryKey: webhookQueryKeys.current,
    queryFn: async () => {
      try {
        return await api.webhook.get();
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

/** Keeps the cached webhook without its secret: the secret lives only in the dialog's props. */
function withoutSecret(webhook: WebhookWithSecretResponse): WebhookResponse {
  return {
    url: webhook.url,
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
    deliveries: webhook.deliveries,
  };
}

export function hasSecret(
  webhook: WebhookResponse | WebhookWithSecretResponse,
): webhook is WebhookWithSecretResponse {
  return 'secret' in webhook;
}

/** PUT /api/settings/webhook { url }: a new webhook answers with its signing secret, once. */
export function useSetWebhook(): UseMutationResult<
  WebhookResponse | WebhookWithSecretResponse,
  ApiError,
  string
> {
  const queryClient = useQueryClient();
  return useMutation({
    ...SECRET_MUTATION,
    mutationFn: api.webhook.set,
    onSuccess: (saved) => {
      queryClient.setQueryData(
        webhookQueryKeys.current,
        hasSecret(saved) ? withoutSecret(saved) : saved,
      );
    },
  });
}

/** DELETE /api/settings/webhook */
export function useRemoveWebhook(): UseMutationResult<void, ApiError, void> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.webhook.remove,
    onSuccess: () => {
      queryClient.setQueryData(webhookQueryKeys.current, null);
    },
  });
}

/** POST /api/settings/webhook/rotate-secret: the old secret stops signing at once. */
export function useRotateWebhookSecret(): UseMutationResult<
  WebhookWithSecretResponse,
  ApiError,
  void
> {
  const queryClient = useQueryClient();
  return useMutation({
    ...SECRET_MUTATION,
    mutationFn: api.webhook.rotateSecret,
    onSuccess: (saved) => {
      queryClient.setQueryData(webhookQueryKeys.current, withoutSecret(saved));
    },
  });
}

/** POST /api/settings/webhook/test: one signed test delivery, then the delivery list refreshes. */
export function useTestWebhook(): UseMutationResult<WebhookTestResponse, ApiError, void> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.webhook.test,
    onSettled: () => queryClient.invalidateQueries({ queryKey: webhookQueryKeys.current }),
  });
}

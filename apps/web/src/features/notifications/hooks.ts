import type { NotificationResponse, Page } from '@keyward/shared';
import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationResult,
  type UseQueryResult,
} from '@tanstack/react-query';
import { api, type ApiError } from '../../api/client';

export const notificationsQueryKeys = {
  all: ['notifications'] as const,
  unread: ['notifications', 'unread'] as const,
};

/** GET /api/notifications?unread=true (the newest five) */
export function useUnreadNotifications(): UseQueryResult<Page<NotificationResponse>, ApiError> {
  return useQuery({
    queryKey: notificationsQueryKeys.unread,
    queryFn: api.notifications.unread,
    refetchInterval: 60_000,
  });
}

function dropFromUnread(
  page: Page<NotificationResponse> | undefined,
  id: string | null,
): Page<NotificationResponse> | undefined {
  if (!page) return page;
  const items = id === null ? [] : page.items.filter((item) => item.id !== id);
  return { ...page, items, total: Math.max(0, page.total - (page.items.length - items.length)) };
}

/** POST /api/notifications/:id/read, optimistic: the item leaves the list at once. */
export function useMarkNotificationRead(): UseMutationResult<
  NotificationResponse,
  ApiError,
  string,
  { previous: Page<NotificationResponse> | undefined }
> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.notifications.markRead,
    onMutate: async (id) => {
      await queryClient.cancelQueries({ queryKey: notificationsQueryKeys.unread });
      const previous = queryClient.getQueryData<Page<NotificationResponse>>(
        notificationsQueryKeys.unread,
      );
      queryClient.setQueryData(notificationsQueryKeys.unread, dropFromUnread(previous, id));
      return { previous };
    },
    onError: (_error, _id, context) => {
      queryClient.setQueryData(notificationsQueryKeys.unread, context?.previous);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationsQueryKeys.all }),
  });
}

/** POST /api/notifications/read-all */
export function useMarkAllNotificationsRead(): UseMutationResult<void, ApiError, void> {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.notifications.markAllRead,
    onSuccess: () => {
      queryClient.setQueryData<Page<NotificationResponse>>(notificationsQueryKeys.unread, (page) =>
        dropFromUnread(page, null),
      );
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: notificationsQueryKeys.all }),
  });
}

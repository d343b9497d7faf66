import type { ReactElement } from 'react';
import { formatDateTime, formatRelative } from '../../app/format';
import { errorMessage } from '../../api/messages';
import { Alert, Spinner } from '../../components/Feedback';
import {
  useMarkAllNotificationsRead,
  useMarkNotificationRead,
  useUnreadNotifications,
} from './hooks';

/** Unread notifications (leaked keys, limits reached, plan decisions) with "mark read". */
export function NotificationsCard(): ReactElement {
  const unread = useUnreadNotifications();
  const markRead = useMarkNotificationRead();
  const markAll = useMarkAllNotificationsRead();
  const total = unread.data?.total ?? 0;

  return (
    <section className="card" aria-labelledby="notifications-heading">
      <div className="card__header">
        <h2 id="notifications-heading" className="card__title">
          Notifications
          {total > 0 && (
            <span className="badge badge--info badge--inline" data-testid="unread-count">
              {total} unread
            </span>
          )}
        </h2>
        {total > 0 && (
          <button
            type="button"
            className="button button--ghost button--small"
            disabled={markAll.isPending}
            onClick={() => {
              markAll.mutate();
            }}
          >
            Mark all read
          </button>
        )}
      </div>
      {unread.isPending && <Spinner label="Loading notifications…" />}
      {unread.isError && (
        <Alert title="Could not load notifications">{errorMessage(unread.error)}</Alert>
      )}
      {(markRead.isError || markAll.isError) && (
        <Alert>{errorMessage(markRead.error ?? markAll.error)}</Alert>
      )}
      {unread.data && unread.data.items.length === 0 && (
        <p className="empty-note">You are all caught up.</p>
      )}
      {unread.data && unread.data.items.length > 0 && (
        <ul className="notice-list">
          {unread.data.items.map((notice) => (
            <li key={notice.id} className="notice" data-testid="notification">
              <div className="notice__text">
                <p className="notice__title">{notice.title}</p>
                <p className="notice__body">{notice.body}</p>
                <time
                  className="notice__time"
                  dateTime={notice.createdAt}
                  title={formatDateTime(notice.createdAt)}
                >
                  {formatRelative(notice.createdAt)}
                </time>
              </div>
              <button
                type="button"
                className="button button--secondary button--small"
                aria-label={`Mark "${notice.title}" read`}
                onClick={() => {
                  markRead.mutate(notice.id);
                }}
              >
                Mark read
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

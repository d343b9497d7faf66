import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NotificationKind, NotificationResponse, Page } from '@keyward/shared';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { notFound } from '../common/app.exception.js';
import { newId } from '../database/ids.js';
import type { JsonObject } from '../database/json.js';
import { Notification } from './notification.entity.js';

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  data?: JsonObject;
}

@Injectable()
export class NotificationsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Written inside the caller's transaction, beside the change it reports. When the owner has a
   * webhook, its delivery row (the outbox) is written in the same transaction, so a notification
   * is never committed without its delivery nor delivered without being committed.
   */
  async record(manager: EntityManager, notification: NewNotification): Promise<void> {
    const id = newId('ntf');
    await manager.query(
      `INSERT INTO notifications (id, user_id, kind, title, body, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
      [
        id,
        notification.userId,
        notification.kind,
        notification.title,
        notification.body,
        JSON.stringify(notification.data ?? {}),
      ],
    );
    await manager.query(
      `INSERT INTO webhook_deliveries (id, notification_id, user_id)
       SELECT $1, $2, user_id FROM webhooks WHERE user_id = $3`,
      [newId('whd'), id, notification.userId],
    );
  }

  async list(
    userId: string,
    page = 1,
    pageSize = 50,
    unreadOnly = false,
  ): Promise<Page<NotificationResponse>> {
    const [rows, total] = await this.dataSource.getRepository(Notification).findAndCount({
      where: unreadOnly ? { userId, readAt: IsNull() } : { userId },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: rows.map(toNotificationResponse), page, pageSize, total };
  }

  async markRead(userId: string, id: string): Promise<NotificationResponse> {
    const repository = this.dataSource.getRepository(Notification);
    const notification = await repository.findOne({ where: { id, userId } });
    if (!notification) throw notFound('Notification');
    if (!notification.readAt) {
      notification.readAt = new Date();
      await repository.update({ id, userId }, { readAt: notification.readAt });
    }
    return toNotificationResponse(notification);
  }

  async markAllRead(userId: string): Promise<void> {
    await this.dataSource
      .getRepository(Notification)
      .update({ userId, readAt: IsNull() }, { readAt: new Date() });
  }
}

function toNotificationResponse(notification: Notification): NotificationResponse {
  return {
    id: notification.id,
    kind: notification.kind,
    title: notification.title,
    body: notification.body,
    data: notification.data,
    readAt: notification.readAt?.toISOString() ?? null,
    createdAt: notification.createdAt.toISOString(),
  };
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { NotificationKind } from '@keyward/shared';
import type { JsonObject } from '../database/json.js';
import { NotificationsService } from '../notifications/notifications.service.js';

export interface AlertMark {
  userId: string;
  subject: string;
  period: string;
  threshold: number;
}

/** Alerts that must reach their owner once per period, however often their condition holds. */
@Injectable()
export class AlertsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: NotificationsService,
  ) {}

  async fireOnce(
    mark: AlertMark,
    notification: { kind: NotificationKind; title: string; body: string; data?: JsonObject },
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO alert_marks (user_id, subject, period, threshold) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING user_id`,
        [mark.userId, mark.subject, mark.period, mark.threshold],
      );
      if (inserted.length === 0) return false;
      await this.notifications.record(manager, { userId: mark.userId, ...notification });
      return true;
    });
  }
}

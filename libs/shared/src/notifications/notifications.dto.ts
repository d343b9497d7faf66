import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../common/pagination.js';

export class ListNotificationsQuery extends PageQuery {
  @IsOptional()
  @IsIn(['true', 'false'])
  unread?: 'true' | 'false';
}

export interface NotificationResponse {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  readAt: string | null;
  createdAt: string;
}

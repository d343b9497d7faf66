import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ListNotificationsQuery, type NotificationResponse, type Page } from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import type { PrincipalRequest } from '../auth/principal.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ConsoleAuth('notifications:read')
  list(
    @Req() request: PrincipalRequest,
    @Query() query: ListNotificationsQuery,
  ): Promise<Page<NotificationResponse>> {
    return this.notifications.list(
      request.principal!.userId,
      query.page,
      query.pageSize,
      query.unread === 'true',
    );
  }

  @Post('read-all')
  @HttpCode(204)
  @ConsoleAuth('notifications:read')
  markAllRead(@Req() request: PrincipalRequest): Promise<void> {
    return this.notifications.markAllRead(request.principal!.userId);
  }

  @Post(':id/read')
  @HttpCode(200)
  @ConsoleAuth('notifications:read')
  markRead(
    @Req() request: PrincipalRequest,
    @Param('id') id: string,
  ): Promise<NotificationResponse> {
    return this.notifications.markRead(request.principal!.userId, id);
  }
}

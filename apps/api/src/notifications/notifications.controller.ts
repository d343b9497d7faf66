import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiQueryFrom } from '../openapi.js';
import { ListNotificationsQuery, type NotificationResponse, type Page } from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ConsoleAuth('notifications:read')
  @ApiQueryFrom(ListNotificationsQuery)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListNotificationsQuery,
  ): Promise<Page<NotificationResponse>> {
    return this.notifications.list(
      principal.userId,
      query.page,
      query.pageSize,
      query.unread === 'true',
    );
  }

  @Post('read-all')
  @HttpCode(204)
  @ConsoleAuth('notifications:read')
  markAllRead(@CurrentPrincipal() principal: Principal): Promise<void> {
    return this.notifications.markAllRead(principal.userId);
  }

  @Post(':id/read')
  @HttpCode(200)
  @ConsoleAuth('notifications:read')
  markRead(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<NotificationResponse> {
    return this.notifications.markRead(principal.userId, id);
  }
}

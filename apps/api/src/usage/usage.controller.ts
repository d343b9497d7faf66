import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  UsageDailyQuery,
  UsageScopeQuery,
  UsageEventsQuery,
  UsageExportQuery,
  type Page,
  type UsageBreakdownResponse,
  type UsageDailyResponse,
  type UsageEventResponse,
  type UsageSummaryResponse,
} from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ApiQueryFrom } from '../openapi.js';
import { UsageAnalyticsService } from './usage-analytics.service.js';
import { UsageEventsService } from './usage-events.service.js';

/** The caller's own usage, for the console and for scripts holding `usage:read`. */
@ApiTags('usage')
@Controller('api/usage')
export class UsageController {
  constructor(
    private readonly analytics: UsageAnalyticsService,
    private readonly events: UsageEventsService,
  ) {}

  @Get('summary')
  @ConsoleAuth('usage:read')
  @ApiQueryFrom(UsageScopeQuery)
  summary(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageScopeQuery,
  ): Promise<UsageSummaryResponse> {
    return this.analytics.summary(principal.userId, query.days, query.keyId);
  }

  @Get('daily')
  @ConsoleAuth('usage:read')
  @ApiQueryFrom(UsageDailyQuery)
  daily(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageDailyQuery,
  ): Promise<UsageDailyResponse> {
    return this.analytics.daily(principal.userId, query.days, query.keyId);
  }

  @Get('endpoints')
  @ConsoleAuth('usage:read')
  @ApiQueryFrom(UsageScopeQuery)
  endpoints(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageScopeQuery,
  ): Promise<UsageBreakdownResponse> {
    return this.analytics.breakdown(principal.userId, 'route', query.days, query.keyId);
  }

  @Get('models')
  @ConsoleAuth('usage:read')
  @ApiQueryFrom(UsageScopeQuery)
  models(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageScopeQuery,
  ): Promise<UsageBreakdownResponse> {
    return this.analytics.breakdown(principal.userId, 'model', query.days, query.keyId);
  }

  @Get('events')
  @ConsoleAuth('usage:read')
  @ApiQueryFrom(UsageEventsQuery)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageEventsQuery,
  ): Promise<Page<UsageEventResponse>> {
    return this.events.list(principal.userId, query);
  }

  @Get('export.csv')
  @ConsoleAuth('usage:read')
  @ApiQueryFrom(UsageExportQuery)
  export(
    @CurrentPrincipal() principal: Principal,
    @Query() query: UsageExportQuery,
  ): Promise<StreamableFile> {
    return this.events.export(principal.userId, query);
  }
}

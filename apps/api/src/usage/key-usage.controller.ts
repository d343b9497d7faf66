import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UsageDaysQuery, type ApiKeyUsageResponse, type KeyUsageResponse } from '@keyward/shared';
import { ConsoleAuth, KeyAuth } from '../auth/auth.decorators.js';
import { CurrentKey, CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import { ApiQueryFrom } from '../openapi.js';
import { UsageAnalyticsService } from './usage-analytics.service.js';

/** One key's usage, read with the key-management scope beside the key's other details. */
@ApiTags('api-keys')
@Controller('api/api-keys')
export class ApiKeyUsageController {
  constructor(private readonly analytics: UsageAnalyticsService) {}

  @Get(':id/usage')
  @ConsoleAuth('keys:read')
  @ApiQueryFrom(UsageDaysQuery)
  usage(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: UsageDaysQuery,
  ): Promise<ApiKeyUsageResponse> {
    return this.analytics.ofKey(principal.userId, id, query.days);
  }
}

/** What a key can learn about itself: this month's use and every limit on it. */
@ApiTags('guarded')
@Controller('v1/usage')
export class GuardedUsageController {
  constructor(private readonly analytics: UsageAnalyticsService) {}

  @Get()
  @KeyAuth('usage:read')
  usage(@CurrentKey() key: VerifiedKey): Promise<KeyUsageResponse> {
    return this.analytics.ofCallingKey(key);
  }
}

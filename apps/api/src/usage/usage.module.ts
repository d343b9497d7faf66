import { Module } from '@nestjs/common';
import { ApiKeyUsageController, GuardedUsageController } from './key-usage.controller.js';
import { UsageAnalyticsService } from './usage-analytics.service.js';
import { UsageController } from './usage.controller.js';
import { UsageEventsService } from './usage-events.service.js';
import { UsageRetentionJob } from './usage-retention.job.js';

/** Reading usage (analytics, events, export) and keeping raw events within their retention. */
@Module({
  controllers: [UsageController, ApiKeyUsageController, GuardedUsageController],
  providers: [UsageAnalyticsService, UsageEventsService, UsageRetentionJob],
})
export class UsageModule {}

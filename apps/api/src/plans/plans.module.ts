import { Global, Module } from '@nestjs/common';
import { AdminPlansController, PlansController } from './plans.controller.js';
import { PlansService } from './plans.service.js';
import { UpgradeRequestsService } from './upgrade-requests.service.js';

/** Global: quota checks everywhere read plan limits through the same cache. */
@Global()
@Module({
  controllers: [PlansController, AdminPlansController],
  providers: [PlansService, UpgradeRequestsService],
  exports: [PlansService],
})
export class PlansModule {}

import { Global, Module } from '@nestjs/common';
import { AdminPlansController, PlansController } from './plans.controller.js';
import { PlanRetirementService } from './plan-retirement.service.js';
import { PlansService } from './plans.service.js';
import { UpgradeRequestsService } from './upgrade-requests.service.js';

/**
 * Global: quota checks everywhere read plan limits through the same cache, and an admin's plan
 * change settles the user's pending request.
 */
@Global()
@Module({
  controllers: [PlansController, AdminPlansController],
  providers: [PlansService, UpgradeRequestsService, PlanRetirementService],
  exports: [PlansService, UpgradeRequestsService],
})
export class PlansModule {}

import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  CreateUpgradeRequest,
  DecideUpgradeRequest,
  ListUpgradeRequestsQuery,
  UpsertPlanRequest,
  type PlanResponse,
  type UpgradeRequestResponse,
} from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentActor, CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Actor, Principal } from '../auth/principal.js';
import { ApiQueryFrom } from '../openapi.js';
import { PlanRetirementService } from './plan-retirement.service.js';
import { PlansService } from './plans.service.js';
import { UpgradeRequestsService } from './upgrade-requests.service.js';

@ApiTags('plans')
@Controller('api/plans')
export class PlansController {
  constructor(
    private readonly plans: PlansService,
    private readonly upgrades: UpgradeRequestsService,
  ) {}

  @Get()
  @ConsoleAuth('usage:read')
  list(): Promise<PlanResponse[]> {
    return this.plans.list();
  }

  @Get('upgrade-requests')
  @ConsoleAuth('usage:read')
  ownRequests(@CurrentPrincipal() principal: Principal): Promise<UpgradeRequestResponse[]> {
    return this.upgrades.listOwn(principal.userId);
  }

  @Post('upgrade-requests')
  @ConsoleAuth('plan:write')
  requestUpgrade(
    @CurrentActor() actor: Actor,
    @Body() body: CreateUpgradeRequest,
  ): Promise<UpgradeRequestResponse> {
    return this.upgrades.create(actor, body);
  }
}

@ApiTags('admin')
@Controller('api/admin')
@ConsoleAuth('admin:users')
export class AdminPlansController {
  constructor(
    private readonly plans: PlansService,
    private readonly retirement: PlanRetirementService,
    private readonly upgrades: UpgradeRequestsService,
  ) {}

  /** Every plan, retired ones included (GET /api/plans lists the open ones). */
  @Get('plans')
  listAll(): Promise<PlanResponse[]> {
    return this.plans.listAll();
  }

  @Put('plans/:id')
  upsert(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: UpsertPlanRequest,
  ): Promise<PlanResponse> {
    return this.plans.upsert(actor, id, body);
  }

  /** Retires a plan no one is on; its pending upgrade requests are declined. */
  @Delete('plans/:id')
  retire(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<PlanResponse> {
    return this.retirement.retire(actor, id);
  }

  @Get('upgrade-requests')
  @ApiQueryFrom(ListUpgradeRequestsQuery)
  upgradeRequests(@Query() query: ListUpgradeRequestsQuery): Promise<UpgradeRequestResponse[]> {
    return this.upgrades.listAll(query.status);
  }

  @Post('upgrade-requests/:id/decision')
  decide(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: DecideUpgradeRequest,
  ): Promise<UpgradeRequestResponse> {
    return this.upgrades.decide(actor, id, body);
  }
}

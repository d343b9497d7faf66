import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PlanResponse } from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor } from '../auth/principal.js';
import { PlansService } from './plans.service.js';
import { UpgradeRequestsService } from './upgrade-requests.service.js';

/**
 * Retires a plan (admins): it stays in the database, since past plan requests and audit entries
 * name it, but no one can be moved to it or ask for it. A plan someone is on, or the one new
 * accounts start on, is refused. Its pending requests are declined in the same transaction, so
 * none is left to approve onto a retired plan.
 */
@Injectable()
export class PlanRetirementService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly plans: PlansService,
    private readonly upgrades: UpgradeRequestsService,
    private readonly audit: AuditService,
  ) {}

  async retire(actor: Actor, id: string): Promise<PlanResponse> {
    const retired = await this.dataSource.transaction(async (manager) => {
      const name = await this.plans.lockForRetirement(manager, id);
      const plan = await this.plans.markRetired(manager, id);
      const declined = await this.upgrades.declineForRetiredPlan(manager, actor, id, name);
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'plan.retire',
        ownerUserId: actor.userId,
        targetType: 'plan',
        targetId: id,
        details: { name, declinedRequests: declined },
      });
      return plan;
    });
    await this.plans.changed(id);
    return retired;
  }
}

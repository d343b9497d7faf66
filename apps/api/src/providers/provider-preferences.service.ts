import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CAPABILITIES,
  type Capability,
  type ProviderId,
  type ProviderPreferencesRequest,
  type ProviderPreferencesResponse,
} from '@keyward/shared';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { auditFieldsOf, type Actor } from '../auth/principal.js';
import { invalidField } from '../common/app.exception.js';
import { CredentialLookup } from './credential-lookup.js';
import { adapterFor } from './provider-catalogue.js';

/** The order in which the guarded API tries providers for a capability, per user. */
@Injectable()
export class ProviderPreferencesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly credentials: CredentialLookup,
  ) {}

  async get(userId: string): Promise<ProviderPreferencesResponse> {
    const rows: { capability: Capability; provider_order: ProviderId[] }[] =
      await this.dataSource.query(
        'SELECT capability, provider_order FROM provider_preferences WHERE user_id = $1',
        [userId],
      );
    const byCapability = new Map(rows.map((row) => [row.capability, row.provider_order]));
    return {
      preferences: CAPABILITIES.map((capability) => ({
        capability,
        order: byCapability.get(capability) ?? [],
      })),
    };
  }

  async set(actor: Actor, body: ProviderPreferencesRequest): Promise<ProviderPreferencesResponse> {
    const unable = body.order.filter(
      (provider) => !adapterFor(provider).info.capabilities.includes(body.capability),
    );
    if (unable.length > 0) {
      throw invalidField('order', `${unable.join(', ')} cannot serve ${body.capability}`);
    }
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO provider_preferences (user_id, capability, provider_order, updated_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (user_id, capability) DO UPDATE SET provider_order = EXCLUDED.provider_order, updated_at = now()`,
        [actor.userId, body.capability, body.order],
      );
      await this.audit.record(manager, {
        ...auditFieldsOf(actor),
        action: 'provider_preferences.update',
        ownerUserId: actor.userId,
        details: { capability: body.capability, order: body.order },
      });
    });
    await this.credentials.invalidate(actor.userId);
    return this.get(actor.userId);
  }
}

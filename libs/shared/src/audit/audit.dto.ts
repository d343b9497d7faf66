import { IsDateString, IsString, Matches } from 'class-validator';
import { Optional } from '../common/optional.js';
import { PageQuery } from '../common/pagination.js';

export const AUDIT_ACTIONS = [
  'auth.register',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.refresh_reuse',
  'auth.password_change',
  'auth.profile_update',
  'user.update',
  'key.create',
  'key.update',
  'key.regenerate',
  'key.revoke',
  'key.leaked',
  'key.verification_failed_burst',
  'provider_key.create',
  'provider_key.update',
  'provider_key.delete',
  'provider_key.status_change',
  'provider_preferences.update',
  'plan.upsert',
  'plan.upgrade_request',
  'plan.upgrade_approved',
  'plan.upgrade_declined',
  'plan.upgrade_superseded',
  'webhook.set',
  'webhook.remove',
  'webhook.secret_rotate',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export class ListAuditQuery extends PageQuery {
  @Optional()
  @IsString()
  @Matches(/^[a-z_]+(\.[a-z_]+)?$/, { message: 'action must look like key.create or key' })
  action?: string;

  @Optional()
  @IsDateString({ strict: true })
  from?: string;

  @Optional()
  @IsDateString({ strict: true })
  to?: string;
}

export interface AuditEventResponse {
  id: string;
  sequence: number;
  action: AuditAction;
  actorUserId: string | null;
  actorKeyId: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface AuditVerifyResponse {
  intact: boolean;
  checked: number;
  /** The first entry whose hash does not match, when the chain is broken. */
  firstBrokenSequence: number | null;
}

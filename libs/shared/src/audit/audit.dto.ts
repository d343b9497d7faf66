import { IsDateString, IsIn, IsString } from 'class-validator';
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
  'plan.retire',
  'plan.upgrade_request',
  'plan.upgrade_approved',
  'plan.upgrade_declined',
  'plan.upgrade_superseded',
  'webhook.set',
  'webhook.remove',
  'webhook.secret_rotate',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The part before an action's dot: `key` for every `key.*` action. */
export const AUDIT_ACTION_FAMILIES: readonly string[] = [
  ...new Set(AUDIT_ACTIONS.map((action) => action.slice(0, action.indexOf('.')))),
];

/** What `?action=` takes: an action, or a family for all of its actions. */
export const AUDIT_ACTION_FILTERS: readonly string[] = [...AUDIT_ACTION_FAMILIES, ...AUDIT_ACTIONS];

export class ListAuditQuery extends PageQuery {
  @Optional()
  @IsString()
  // An unknown action is refused rather than answered with an empty list, which would look like
  // nothing happened.
  @IsIn(AUDIT_ACTION_FILTERS, {
    message: `action must be an audit action (such as key.create) or a family of them: ${AUDIT_ACTION_FAMILIES.join(', ')}`,
  })
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

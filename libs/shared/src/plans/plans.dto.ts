import {
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { Optional } from '../common/optional.js';
import { Trimmed } from '../common/trimmed.js';

export interface PlanResponse {
  id: string;
  name: string;
  /** Per calendar month (UTC); null is unlimited. */
  monthlyRequestLimit: number | null;
  monthlyCostLimitMicros: number | null;
  sortOrder: number;
  /**
   * When an admin retired the plan (ISO time), null while it is open. A retired plan has no
   * users, cannot be chosen or assigned, and is listed to admins only; upgrade requests and audit
   * entries naming it keep their meaning. Saving it again (PUT) opens it again.
   */
  retiredAt: string | null;
}

export class UpsertPlanRequest {
  @Trimmed()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name!: string;

  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000_000)
  monthlyRequestLimit!: number | null;

  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(0)
  @Max(1e15) // a billion dollars
  monthlyCostLimitMicros!: number | null;

  @Optional()
  @IsInt()
  @Min(0)
  @Max(1000)
  sortOrder?: number;
}

export const PLAN_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

/** The plan new accounts start on; it cannot be retired. */
export const STARTING_PLAN_ID = 'free';

export class SetUserPlanRequest {
  @IsString()
  @Matches(PLAN_ID_PATTERN, { message: 'planId must be 1-32 lowercase letters, digits or dashes' })
  planId!: string;
}

export class CreateUpgradeRequest {
  @IsString()
  @Matches(PLAN_ID_PATTERN, { message: 'planId must be 1-32 lowercase letters, digits or dashes' })
  planId!: string;

  @Optional()
  @Trimmed()
  @IsString()
  @MaxLength(1000)
  message?: string;
}

export const UPGRADE_DECISIONS = ['approved', 'declined'] as const;

/**
 * Where a plan request stands: `pending` until an admin decides, or `superseded` when an admin
 * set the user's plan directly to another plan first (one set to the plan asked for approves it).
 */
export const UPGRADE_STATUSES = ['pending', 'approved', 'declined', 'superseded'] as const;
export type UpgradeStatus = (typeof UPGRADE_STATUSES)[number];

export class DecideUpgradeRequest {
  @IsIn(UPGRADE_DECISIONS)
  status!: (typeof UPGRADE_DECISIONS)[number];
}

export interface UpgradeRequestResponse {
  id: string;
  userId: string;
  userEmail: string;
  fromPlanId: string;
  toPlanId: string;
  message: string | null;
  status: UpgradeStatus;
  decidedAt: string | null;
  createdAt: string;
}

export class ListUpgradeRequestsQuery {
  @Optional()
  @IsIn(UPGRADE_STATUSES)
  status?: UpgradeStatus;
}

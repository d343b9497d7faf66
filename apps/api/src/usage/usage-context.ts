import type { UsageAttempt } from '@keyward/shared';

/** What a guarded route learned while serving a request, for its usage event. */
export interface UsageDetails {
  provider: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  errorCode: string | null;
  attempts: UsageAttempt[];
  /** Admitted by the quota check, so it counts against the plan's monthly requests. */
  billable: boolean;
}

/** Fields Keyward hangs on a request so the response hook can record it. */
export interface UsageTrackedRequest {
  keywardUsage?: UsageDetails;
  /** Set by the error filter: the `code` of an error answer. */
  keywardErrorCode?: string;
  /** Set once its usage event is recorded, so a request is never counted twice. */
  keywardRecorded?: boolean;
}

export function usageOf(request: UsageTrackedRequest): UsageDetails {
  request.keywardUsage ??= {
    provider: null,
    model: null,
    inputTokens: 0,
    outputTokens: 0,
    costMicros: 0,
    errorCode: null,
    attempts: [],
    billable: false,
  };
  return request.keywardUsage;
}

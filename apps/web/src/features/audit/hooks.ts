import type { AuditEventResponse, AuditVerifyResponse, Page } from '@keyward/shared';
import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import { api, type ApiError, type AuditListParams } from '../../api/client';

export const auditQueryKeys = {
  all: ['audit'] as const,
  list: (params: AuditListParams) => ['audit', 'list', params] as const,
  verify: ['audit', 'verify'] as const,
};

/** GET /api/audit?action=&from=&to=&page=&pageSize= */
export function useAuditEvents(
  params: AuditListParams,
): UseQueryResult<Page<AuditEventResponse>, ApiError> {
  return useQuery({
    queryKey: auditQueryKeys.list(params),
    queryFn: () => api.audit.list(params),
    placeholderData: keepPreviousData,
  });
}

/** GET /api/audit/verify: whether the hash chain over the whole log is intact. */
export function useAuditVerification(): UseQueryResult<AuditVerifyResponse, ApiError> {
  return useQuery({ queryKey: auditQueryKeys.verify, queryFn: api.audit.verify });
}

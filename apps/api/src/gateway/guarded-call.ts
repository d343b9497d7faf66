import type { FastifyReply, FastifyRequest } from 'fastify';
import { whenResponseCloses } from '../common/response-closed.js';
import { requestsAreBeingCut } from '../common/stopping.js';
import type { VerifiedKey } from '../keys/verified-key.js';
import type { QuotaTrackedRequest } from '../quotas/quota.service.js';
import { usageOf, type UsageTrackedRequest } from '../usage/usage-context.js';
import type { GuardedCall } from './chat.service.js';

/**
 * The gateway's view of a request; the signal fires if the connection closes before the end, with
 * the code that says who closed it (see `hangUpCode`).
 */
export function guardedCall(
  key: VerifiedKey,
  request: FastifyRequest,
  reply: FastifyReply,
): GuardedCall {
  const hangUp = new AbortController();
  whenResponseCloses(request, reply, (finished) => {
    if (!finished) hangUp.abort(requestsAreBeingCut() ? 'server_stopping' : 'client_closed');
  });
  return {
    key,
    usage: usageOf(request as FastifyRequest & UsageTrackedRequest),
    signal: hangUp.signal,
    quotaSlot: (request as FastifyRequest & QuotaTrackedRequest).keywardQuotaSlot,
  };
}

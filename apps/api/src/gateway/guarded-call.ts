import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VerifiedKey } from '../keys/verified-key.js';
import type { QuotaTrackedRequest } from '../quotas/quota.service.js';
import { usageOf, type UsageTrackedRequest } from '../usage/usage-context.js';
import type { GuardedCall } from './chat.service.js';

/** The gateway's view of a request; the signal fires if the caller hangs up before the end. */
export function guardedCall(
  key: VerifiedKey,
  request: FastifyRequest,
  reply: FastifyReply,
): GuardedCall {
  const hangUp = new AbortController();
  // Gone already (during the checks before the handler): 'close' has fired and will not again.
  if (reply.raw.destroyed) hangUp.abort();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) hangUp.abort();
  });
  return {
    key,
    usage: usageOf(request as FastifyRequest & UsageTrackedRequest),
    signal: hangUp.signal,
    quotaSlot: (request as FastifyRequest & QuotaTrackedRequest).keywardQuotaSlot,
  };
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PrincipalRequest } from '../auth/principal.js';
import type { UsageTrackedRequest } from './usage-context.js';
import type { UsageRecorder } from './usage-recorder.js';

/** Route templates as analytics name them; the generate route matches a wildcard. */
function routeName(request: FastifyRequest): string {
  const template = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
  const named = template === '/v1/models/*' ? '/v1/models/:id/generate' : template;
  return `${request.method} ${named}`;
}

/**
 * Called once per response: a request to the guarded API (`/v1`) by a verified key becomes a
 * usage event, whatever its outcome. Requests no key could be tied to are not anyone's usage.
 */
export function recordGuardedRequest(
  recorder: UsageRecorder,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (!request.url.startsWith('/v1/')) return;
  const tracked = request as FastifyRequest & PrincipalRequest & UsageTrackedRequest;
  const key = tracked.apiKey;
  if (!key || tracked.keywardRecorded) return;
  tracked.keywardRecorded = true;
  const usage = tracked.keywardUsage;
  const errorCode = usage?.errorCode ?? tracked.keywardErrorCode ?? null;
  const status = reply.statusCode;
  const userAgent = request.headers['user-agent'];
  recorder.record({
    occurredAt: new Date(Date.now() - reply.elapsedTime),
    userId: key.userId,
    keyId: key.keyId,
    route: routeName(request),
    method: request.method,
    status,
    success: status < 400 && errorCode === null,
    latencyMs: Math.round(reply.elapsedTime),
    provider: usage?.provider ?? null,
    model: usage?.model ?? null,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    costMicros: usage?.costMicros ?? 0,
    clientIp: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
    errorCode,
    attempts: usage?.attempts ?? [],
    billable: usage?.billable ?? false,
  });
}

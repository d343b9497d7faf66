import { describe, expect, it } from '@jest/globals';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyCache } from '../keys/key-cache.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { MetricsService } from './metrics.service.js';

const answer = (statusCode: number, finished: boolean) =>
  ({ statusCode, elapsedTime: 3, raw: { writableFinished: finished } }) as unknown as FastifyReply;
const request = { method: 'POST', routeOptions: { url: '/v1/chat/completions' } } as FastifyRequest;

describe('MetricsService', () => {
  it('names each answer by its outcome; a server error is a failure however it ended', async () => {
    const metrics = new MetricsService(
      { hits: 0, misses: 0 } as KeyCache,
      { stats: { backlog: 0 } } as UsageRecorder,
    );
    const answers: [number, boolean][] = [
      [200, true],
      [429, true],
      [502, true],
      // Cut before the end: a stream the caller left, and one the stop cut.
      [200, false],
      [499, false],
      [503, false],
    ];
    for (const [status, finished] of answers) metrics.observe(request, answer(status, finished));
    const counted = await metrics.registry.getSingleMetric('keyward_http_requests_total')?.get();
    const byOutcome = Object.fromEntries(
      (counted?.values ?? []).map(({ labels, value }) => [
        `${labels.status} ${labels.outcome}`,
        value,
      ]),
    );
    expect(byOutcome).toEqual({
      '2xx success': 1,
      '4xx refused': 1,
      '5xx failed': 2,
      '2xx unfinished': 1,
      '4xx unfinished': 1,
    });
  });
});

import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QueryCounter } from '../database/query-counter.js';
import { KeyCache } from '../keys/key-cache.js';
import type { UsageTrackedRequest } from '../usage/usage-context.js';
import { UsageRecorder } from '../usage/usage-recorder.js';

const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/**
 * Prometheus metrics of one replica: requests and latency by route and outcome, the key-check
 * cache, the usage buffer, and provider latency. Labels are route patterns, never raw URLs, so
 * the number of series stays bounded whatever callers send.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status' | 'outcome'>;
  private readonly duration: Histogram<'route' | 'method'>;
  private readonly upstream: Histogram<'provider' | 'outcome'>;

  constructor(keyCache: KeyCache, usage: UsageRecorder) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: 'keyward_' });
    this.requests = new Counter({
      name: 'keyward_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method, status class and outcome',
      labelNames: ['route', 'method', 'status', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'keyward_http_request_duration_seconds',
      help: 'Time to answer, by route pattern and method',
      labelNames: ['route', 'method'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.upstream = new Histogram({
      name: 'keyward_upstream_duration_seconds',
      help: 'Provider calls of the guarded API until the answer headers, by provider and outcome',
      labelNames: ['provider', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    // Read from the components at scrape time rather than counted twice on the hot path.
    let seenHits = 0;
    let seenMisses = 0;
    new Counter({
      name: 'keyward_key_cache_lookups_total',
      help: 'Key checks answered from the in-process cache (hit) or the database (miss)',
      labelNames: ['result'],
      registers: [registry],
      collect() {
        this.inc({ result: 'hit' }, keyCache.hits - seenHits);
        this.inc({ result: 'miss' }, keyCache.misses - seenMisses);
        seenHits = keyCache.hits;
        seenMisses = keyCache.misses;
      },
    });
    new Gauge({
      name: 'keyward_key_cache_hit_ratio',
      help: 'Share of key checks answered from the cache since start',
      registers: [registry],
      collect() {
        const total = keyCache.hits + keyCache.misses;
        this.set(total === 0 ? 1 : keyCache.hits / total);
      },
    });
    let seenQueries = 0;
    new Counter({
      name: 'keyward_database_queries_total',
      help: 'Statements sent to the database by this process, transaction control included',
      registers: [registry],
      collect() {
        this.inc(QueryCounter.count - seenQueries);
        seenQueries = QueryCounter.count;
      },
    });
    new Gauge({
      name: 'keyward_usage_buffer_events',
      help: 'Usage events waiting in memory to be written',
      registers: [registry],
      collect() {
        this.set(usage.stats.backlog);
      },
    });
    new Gauge({
      name: 'keyward_usage_flush_failures',
      help: 'Failed usage writes since start (each is retried; see dropped for losses)',
      registers: [registry],
      collect() {
        this.set(usage.stats.failedWrites);
      },
    });
    let seenLost = 0;
    new Counter({
      name: 'keyward_usage_events_lost_unclean_stop_total',
      help: 'Usage events the previous run of this instance received but never wrote (killed, crashed), as its state file reported at start',
      registers: [registry],
      collect() {
        this.inc(usage.stats.lostAtPreviousStop - seenLost);
        seenLost = usage.stats.lostAtPreviousStop;
      },
    });
    new Gauge({
      name: 'keyward_usage_events_dropped',
      help: 'Usage events dropped since start because the buffer was full',
      registers: [registry],
      collect() {
        this.set(usage.stats.dropped);
      },
    });
    new Gauge({
      name: 'keyward_usage_events_refused',
      help: 'Usage events dropped since start because the database refused their values',
      registers: [registry],
      collect() {
        this.set(usage.stats.refused);
      },
    });
  }

  /** Called once per response (see app.factory). */
  observe(request: FastifyRequest & UsageTrackedRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    // A cut stream keeps its 200: what matters is that its answer never reached its end. A
    // server error stays a failure however it ended, so the error rate sees it.
    const outcome =
      status >= 500
        ? 'failed'
        : !reply.raw.writableFinished
          ? 'unfinished'
          : status < 400
            ? 'success'
            : 'refused';
    this.requests.inc({
      route,
      method: request.method,
      status: `${Math.floor(status / 100)}xx`,
      outcome,
    });
    this.duration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    for (const attempt of request.keywardUsage?.attempts ?? []) {
      const served = attempt.status !== null && attempt.status < 400;
      this.upstream.observe(
        { provider: attempt.provider, outcome: served ? 'ok' : (attempt.errorCode ?? 'error') },
        attempt.latencyMs / 1000,
      );
    }
  }
}

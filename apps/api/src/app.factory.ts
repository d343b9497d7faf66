import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { clientErrorHandler } from './common/client-errors.js';
import { jsonBodyParser } from './common/json-body.js';
import { SECURITY_HEADER_OPTIONS, securityHeaders } from './common/security-headers.js';
import { whenResponseCloses } from './common/response-closed.js';
import { startCuttingRequests } from './common/stopping.js';
import { createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';
import { KeyActivityRecorder } from './keys/key-activity.recorder.js';
import { MetricsService } from './metrics/metrics.service.js';
import { PinoNestLogger } from './logging/logger.js';
import { redactUrl } from './logging/redact.js';
import { setupOpenApi } from './openapi.js';
import { QuotaService, type QuotaTrackedRequest } from './quotas/quota.service.js';
import { serveSpa } from './spa/spa.js';
import { recordGuardedRequest } from './usage/usage-hook.js';
import { UsageRecorder } from './usage/usage-recorder.js';

/**
 * Builds the whole HTTP application: Fastify with its security plugins, Nest's modules, the
 * OpenAPI document and the built console. `main.ts` and the tests both start from here.
 */
export async function createApp(
  config: AppConfig,
  dataSource: DataSource,
  logger: Logger,
): Promise<NestFastifyApplication> {
  const staticSecurityHeaders = securityHeaders(SECURITY_HEADER_OPTIONS);
  const adapter = new FastifyAdapter({
    clientErrorHandler: clientErrorHandler(
      staticSecurityHeaders,
      logger.child({ context: 'http' }),
    ),
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // Request logging happens once per response below, with secrets redacted.
    logger: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(config, dataSource),
    adapter,
    {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
      // Fastify parses JSON itself; Nest's extra parsers would also accept form posts, which
      // widen the cross-site request surface for no gain.
      bodyParser: false,
    },
  );
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());

  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    jsonBodyParser(fastify.getDefaultJsonParser('error', 'error')),
  );
  await fastify.register(fastifyCookie);
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(staticSecurityHeaders);
    done();
  });
  // A refused origin gets no CORS header at all: @fastify/cors, given a list, would still send
  // Allow-Credentials to every origin.
  const corsOrigins = new Set(config.http.corsOrigins);
  await fastify.register(fastifyCors, {
    origin:
      corsOrigins.size > 0
        ? (
            origin: string | undefined,
            answer: (error: Error | null, allow: string | false) => void,
          ) => {
            answer(null, origin !== undefined && corsOrigins.has(origin) ? origin : false);
          }
        : false,
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After'],
    maxAge: 600,
  });

  // A plan count taken at admission for a request that was then refused or never served goes
  // back before the answer leaves, so the caller's next request already sees it returned.
  const quotas = app.get(QuotaService);
  const requestLog = logger.child({ context: 'http' });
  const usageRecorder = app.get(UsageRecorder);
  const metrics = app.get(MetricsService);
  /** Usage, metrics and the log line of a request, once its answer is sent or cannot be. */
  const observe = (request: FastifyRequest, reply: FastifyReply): void => {
    const seen = request as FastifyRequest & { keywardObserved?: boolean };
    if (seen.keywardObserved) return;
    seen.keywardObserved = true;
    recordGuardedRequest(usageRecorder, request, reply);
    metrics.observe(request, reply);
    if (!requestLog.isLevelEnabled('info')) return;
    requestLog.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
        // The connection closed before the whole answer was sent (the caller hung up).
        ...(reply.raw.writableFinished ? {} : { unfinished: true }),
      },
      'request',
    );
  };

  /**
   * A stream whose caller hangs up never finishes, and Fastify's onResponse waits for that: it is
   * observed once both it and the response (or the connection) have closed, when a chat relay
   * has counted what was used. The usage drain at a stop waits for it.
   */
  const observeStreamIfCut = (request: FastifyRequest, reply: FastifyReply, stream: Readable) => {
    const release = usageRecorder.hold();
    let open = 2;
    const closed = () => {
      open -= 1;
      if (open > 0) return;
      try {
        observe(request, reply);
      } finally {
        release();
      }
    };
    whenResponseCloses(request, reply, (finished) => {
      // Fastify destroys the stream when the response closes; a pipelined response whose
      // connection went first never does, so its stream (and a relay's provider call) ends here.
      if (!finished) stream.destroy();
      closed();
    });
    if (stream.closed) closed();
    else stream.once('close', closed);
  };

  fastify.addHook('onSend', (request, reply, payload, done) => {
    const proceed = () => {
      // An answer whose caller hung up before it was ready (or a pipelined one whose connection
      // dropped while it waited its turn) never finishes either: the request is observed when
      // that is known, at once for a caller already gone (the handler has set its usage).
      if (payload instanceof Readable) {
        observeStreamIfCut(request, reply, payload);
      } else {
        whenResponseCloses(request, reply, (finished) => {
          if (!finished) observe(request, reply);
        });
      }
      done(null, payload);
    };
    const settling = quotas.settle(request as typeof request & QuotaTrackedRequest);
    if (!settling) {
      proceed();
      return;
    }
    // settle() never rejects (a failed give-back is logged); the answer goes out either way.
    void settling.then(proceed, proceed);
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    observe(request, reply);
    done();
  });

  // Fastify closes during Nest's shutdown once the last in-flight response is sent, and before
  // any module closes the database: the moment to write what the buffers still hold. New
  // connections are refused from the start of the stop (the listening socket closes), and a
  // request arriving on a kept-alive connection is answered 503. A connection whose last request
  // has been answered is closed rather than kept alive (the server could not close otherwise).
  // A request still running at the timeout (a stream that never ends) has its connection cut, so
  // the stop goes on.
  const activityRecorder = app.get(KeyActivityRecorder);
  let cutOff: NodeJS.Timeout | undefined;
  let sweep: NodeJS.Timeout | undefined;
  fastify.addHook('preClose', (done) => {
    sweep = setInterval(() => {
      fastify.server.closeIdleConnections();
    }, 100);
    sweep.unref();
    cutOff = setTimeout(() => {
      logger.warn(
        { timeoutMs: config.http.shutdownTimeoutMs },
        'Requests still running at the shutdown timeout; closing their connections',
      );
      startCuttingRequests();
      fastify.server.closeAllConnections();
    }, config.http.shutdownTimeoutMs);
    cutOff.unref();
    done();
  });
  fastify.addHook('onClose', async () => {
    clearTimeout(cutOff);
    clearInterval(sweep);
    await Promise.all([usageRecorder.drain(), activityRecorder.drain()]);
  });

  setupOpenApi(app);
  const spaServed = await serveSpa(fastify, config.webDistDir);
  if (!spaServed) {
    logger.warn({ webDistDir: config.webDistDir }, 'Console build not found; serving the API only');
  }
  await app.init();
  return app;
}

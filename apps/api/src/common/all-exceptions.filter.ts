import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { ErrorBody, ErrorCode } from '@keyward/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isStatementCancelled } from '../database/unavailable.js';
import type { UsageTrackedRequest } from '../usage/usage-context.js';
import { redactUrl } from '../logging/redact.js';
import { AppException } from './app.exception.js';
import { LogThrottle } from './log-throttle.js';
import { nestNotFoundMessage, unknownRouteMessage } from './unknown-route.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/**
 * PostgreSQL errors caused by what the client sent rather than by the server: NUL bytes in text
 * (22021, 22P05), numbers out of range (22003), malformed values (22P02, 22007, 22008).
 */
const UNSTORABLE_VALUE_CODES = new Set(['22021', '22P05', '22003', '22P02', '22007', '22008']);

/**
 * PostgreSQL ending a transaction because another one touched the same rows (a deadlock, 40P01,
 * or a serialization failure, 40001). Lock order keeps these away; should one still happen, the
 * transaction it ended was rolled back, so the client is told to send the change again.
 */
const COLLISION_CODES = new Set(['40P01', '40001']);

/** The guarded API, whose errors also carry OpenAI's `error` member. */
const GUARDED_API_PATH = /^\/v1(\/|\?|$)/;

/** How long a client should wait before retrying while the database is away. */
const DATABASE_RETRY_AFTER_SECONDS = 5;
/** An outage refuses every request that needs the database: one log line per interval says so. */
const DATABASE_REPORT_MS = 10_000;

/** Fastify's own errors (body parsing, limits) carry a statusCode and a FST_ code. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/**
 * The one place where errors become responses. Known errors keep their status and code; anything
 * else is logged on the server and answered with a generic 500 that carries no detail.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  private readonly databaseRefusals = new LogThrottle(DATABASE_REPORT_MS);
  private readonly cancelledStatements = new LogThrottle(DATABASE_REPORT_MS);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest & UsageTrackedRequest>();
    const { body, headers } = this.toResponse(exception, request);
    request.keywardErrorCode = body.code;
    // OpenAI's SDKs read `error.message`; the guarded API speaks their dialect too.
    if (GUARDED_API_PATH.test(request.url)) {
      body.error = { message: body.message, type: body.code, code: body.code };
    }
    if (body.code === 'database_unavailable') {
      this.reportDatabaseRefusal(exception);
    } else if (body.code === 'database_timeout') {
      this.reportCancelledStatement(request);
    } else if (body.code === 'concurrent_change') {
      // Answered and safe to retry, but a lock order somewhere let two writers cross.
      this.logger.warn(`Two transactions collided on ${request.method} ${redactUrl(request.url)}`);
    } else if (exception instanceof AppException && body.statusCode >= 500) {
      // A deliberate answer (every provider failed, a dependency is away): the news is the
      // outcome, which the body already states without secrets; a stack would add nothing.
      this.logger.warn(`Answered ${body.statusCode} ${body.code}: ${body.message}`);
    } else if (body.statusCode >= 500) {
      this.logger.error({ err: exception }, 'Unhandled error');
    }
    void reply.status(body.statusCode).headers(headers).send(body);
  }

  /**
   * Which request was too heavy is what an operator needs (the statement itself is not logged:
   * it may carry a caller's values); at most one line per interval, as a loaded database can
   * cancel many at once.
   */
  private reportCancelledStatement(request: FastifyRequest): void {
    const cancelled = this.cancelledStatements.pass();
    if (cancelled === undefined) return;
    this.logger.warn(
      `A statement ran past its timeout: ${request.method} ${redactUrl(request.url)} ` +
        `(${cancelled} cancelled since the last report)`,
    );
  }

  /** Without a stack, and not once per request: the outage is the news, not each caller. */
  private reportDatabaseRefusal(exception: unknown): void {
    const refused = this.databaseRefusals.pass();
    if (refused === undefined) return;
    this.logger.warn(
      `Database unavailable (${describeError(exception)}); ${refused} ` +
        'request(s) answered 503 since the last report',
    );
  }

  private toResponse(
    exception: unknown,
    request: FastifyRequest,
  ): { body: ErrorBody; headers: Record<string, string> } {
    if (exception instanceof AppException) {
      return { body: exception.toBody(), headers: exception.headers };
    }
    // Nest hands Fastify's own refusals (a body too large, an unsupported content type) over as
    // HttpExceptions in Fastify's words; they are answered as the errors themselves are.
    const fastifyError = clientFastifyError(
      exception instanceof HttpException ? exception.cause : exception,
    );
    if (fastifyError) {
      const { statusCode } = fastifyError;
      const code = CODE_BY_STATUS[statusCode] ?? 'bad_request';
      return {
        body: { statusCode, code, message: describeFastifyError(fastifyError) },
        headers: {},
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const code =
        CODE_BY_STATUS[statusCode] ?? (statusCode >= 500 ? 'internal_error' : 'bad_request');
      if (
        statusCode === 404 &&
        exception.message === nestNotFoundMessage(request.method, request.url)
      ) {
        // No route matched: Nest's message would echo the query string.
        return {
          body: { statusCode, code, message: unknownRouteMessage(request.method, request.url) },
          headers: {},
        };
      }
      const message = statusCode >= 500 ? 'Internal server error' : exception.message;
      return { body: { statusCode, code, message }, headers: {} };
    }
    const databaseCode = (exception as { driverError?: { code?: unknown } } | null)?.driverError
      ?.code;
    if (typeof databaseCode === 'string' && UNSTORABLE_VALUE_CODES.has(databaseCode)) {
      return {
        body: {
          statusCode: 400,
          code: 'bad_request',
          message:
            'The request holds a value that cannot be stored (a NUL character or an out-of-range number)',
        },
        headers: {},
      };
    }
    if (typeof databaseCode === 'string' && COLLISION_CODES.has(databaseCode)) {
      return {
        body: {
          statusCode: 409,
          code: 'concurrent_change',
          message:
            'Another change to the same records was made at the same moment, and this one was stopped; send it again',
        },
        headers: {},
      };
    }
    if (isStatementCancelled(exception)) {
      return {
        body: {
          statusCode: 503,
          code: 'database_timeout',
          message:
            'The database took too long on this request and cancelled it; ask for less (a shorter period, a narrower filter) or try again later',
        },
        headers: {},
      };
    }
    if (isDatabaseUnavailable(exception)) {
      return {
        body: {
          statusCode: 503,
          code: 'database_unavailable',
          message: 'The database is unreachable for the moment; try again shortly',
        },
        headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      };
    }
    return {
      body: { statusCode: 500, code: 'internal_error', message: 'Internal server error' },
      headers: {},
    };
  }
}

function describeError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const driverError = (error as { driverError?: { message?: unknown } } | null)?.driverError;
  const text = typeof driverError?.message === 'string' ? driverError.message : message;
  return [typeof code === 'string' ? code : '', typeof text === 'string' ? text : '']
    .filter(Boolean)
    .join(' ');
}

function clientFastifyError(error: unknown): (FastifyLikeError & { statusCode: number }) | null {
  const candidate = error as FastifyLikeError | null | undefined;
  return typeof candidate?.statusCode === 'number' &&
    candidate.statusCode >= 400 &&
    candidate.statusCode < 500 &&
    typeof candidate.code === 'string' &&
    candidate.code.startsWith('FST_')
    ? (candidate as FastifyLikeError & { statusCode: number })
    : null;
}

function describeFastifyError(error: FastifyLikeError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported content type; send application/json';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'Request body is not valid JSON';
    default:
      return 'Malformed request';
  }
}

import { describe, expect, it } from '@jest/globals';
import {
  InternalServerErrorException,
  NotFoundException,
  type ArgumentsHost,
} from '@nestjs/common';
import type { ErrorBody } from '@keyward/shared';
import { QueryFailedError } from 'typeorm';
import { AllExceptionsFilter } from './all-exceptions.filter.js';
import { generateApiKey } from '../keys/key-format.js';
import { AppException } from './app.exception.js';

/** Runs the filter on one exception and returns what the client would receive. */
function answer(
  exception: unknown,
  url = '/api/api-keys',
): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  logged: { level: 'error' | 'warn'; args: unknown[] }[];
} {
  let status = 0;
  let body: ErrorBody | undefined;
  let sentHeaders: Record<string, string> = {};
  const reply = {
    status(code: number) {
      status = code;
      return reply;
    },
    headers(values: Record<string, string>) {
      sentHeaders = values;
      return reply;
    },
    send(payload: ErrorBody) {
      body = payload;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({
      getResponse: () => reply,
      getRequest: () => ({ url, method: 'PATCH' }),
    }),
  } as unknown as ArgumentsHost;
  const filter = new AllExceptionsFilter();
  const logged: { level: 'error' | 'warn'; args: unknown[] }[] = [];
  (filter as unknown as { logger: Record<'error' | 'warn', (...args: unknown[]) => void> }).logger =
    {
      error: (...args) => logged.push({ level: 'error', args }),
      warn: (...args) => logged.push({ level: 'warn', args }),
    };
  filter.catch(exception, host);
  if (!body) throw new Error('nothing was sent');
  return { status, body, headers: sentHeaders, logged };
}

describe('AllExceptionsFilter', () => {
  it('answers an unexpected error with a generic 500 that carries none of its detail', () => {
    const error = new Error('connect ECONNREFUSED db.internal:5432 password=hunter2');
    const { status, body } = answer(error);
    expect(status).toBe(500);
    expect(body).toEqual({
      statusCode: 500,
      code: 'internal_error',
      message: 'Internal server error',
    });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|hunter2|at |\.ts|\.js/);
  });

  it('answers a lost database with 503 database_unavailable and Retry-After, without its detail', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), {
      code: 'ECONNREFUSED',
    });
    const cut = new QueryFailedError(
      'SELECT secret FROM users',
      [],
      new Error('Connection terminated unexpectedly'),
    );
    for (const error of [refused, cut]) {
      const { status, body, headers } = answer(error);
      expect(status).toBe(503);
      expect(body).toEqual({
        statusCode: 503,
        code: 'database_unavailable',
        message: 'The database is unreachable for the moment; try again shortly',
      });
      expect(headers['retry-after']).toBe('5');
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.5|SELECT|terminated/);
    }
  });

  it('answers a deadlock or serialization failure with 409 concurrent_change, naming the route', () => {
    for (const sqlState of ['40P01', '40001']) {
      const collided = new QueryFailedError(
        'UPDATE users SET plan_id = $2 WHERE id = $1',
        ['usr_1', 'pro'],
        Object.assign(new Error('deadlock detected'), { code: sqlState }),
      );
      const { status, body, logged } = answer(collided, '/api/admin/users/usr_1');
      expect(status).toBe(409);
      expect(body.code).toBe('concurrent_change');
      expect(body.message).toMatch(/send it again/);
      expect(JSON.stringify(body)).not.toMatch(/UPDATE|usr_1|deadlock/);
      expect(logged).toEqual([
        { level: 'warn', args: ['Two transactions collided on PATCH /api/admin/users/usr_1'] },
      ]);
    }
  });

  it('logs a deliberate 5xx answer as one line without a stack, an unexpected error with it', () => {
    const deliberate = answer(
      new AppException(502, 'upstream_unavailable', 'No provider could serve openai/gpt-4o'),
      '/v1/chat/completions',
    );
    expect(deliberate.status).toBe(502);
    expect(deliberate.logged).toEqual([
      {
        level: 'warn',
        args: ['Answered 502 upstream_unavailable: No provider could serve openai/gpt-4o'],
      },
    ]);
    const unexpected = answer(new Error('boom'));
    expect(unexpected.logged).toHaveLength(1);
    expect(unexpected.logged[0]?.level).toBe('error');
    expect(unexpected.logged[0]?.args[1]).toBe('Unhandled error');
  });

  it('hides the message of Nest 5xx exceptions and of thrown non-errors alike', () => {
    expect(answer(new InternalServerErrorException('pool exhausted at db.ts:12')).body).toEqual({
      statusCode: 500,
      code: 'internal_error',
      message: 'Internal server error',
    });
    expect(answer('a string').body.message).toBe('Internal server error');
    expect(answer(null).body.statusCode).toBe(500);
  });

  it('keeps coded errors as they are, in both dialects on the guarded API', () => {
    const notFound = new AppException(404, 'not_found', 'API key not found');
    expect(answer(notFound).body).toEqual({
      statusCode: 404,
      code: 'not_found',
      message: 'API key not found',
    });
    expect(answer(new Error('boom'), '/v1/models').body.error).toEqual({
      message: 'Internal server error',
      type: 'internal_error',
      code: 'internal_error',
    });
  });

  it('answers an unknown route with its path alone, a key in it redacted, and on /v1 both dialects', () => {
    const key = generateApiKey('kw').plaintext;
    const url = `/v1/${key}?api_key=${key}&token=hunter2`;
    // What Nest's not-found handler throws for a request no route matches.
    const { status, body } = answer(new NotFoundException(`Cannot PATCH ${url}`), url);
    expect(status).toBe(404);
    const message = 'Cannot PATCH /v1/[redacted]';
    expect(body).toEqual({
      statusCode: 404,
      code: 'not_found',
      message,
      error: { message, type: 'not_found', code: 'not_found' },
    });
    expect(answer(new NotFoundException('Cannot PATCH /api/x?a=1'), '/api/x?a=1').body).toEqual({
      statusCode: 404,
      code: 'not_found',
      message: 'Cannot PATCH /api/x',
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isValueRefused } from './unavailable.js';

const withCode = (message: string, code: string): Error =>
  Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises a refused, cut or timed-out connection', () => {
    expect(
      isDatabaseUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isDatabaseUnavailable(new Error('Connection terminated due to connection timeout')),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('recognises server shutdown and connection-class SQLSTATEs, also inside a TypeORM error', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', '08003', '53300']) {
      const driverError = withCode('terminating connection', code);
      expect(isDatabaseUnavailable(driverError)).toBe(true);
      expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], driverError))).toBe(true);
    }
    const cut = new QueryFailedError(
      'SELECT 1',
      [],
      new Error('Connection terminated unexpectedly'),
    );
    expect(isDatabaseUnavailable(cut)).toBe(true);
  });

  it('leaves statement errors and unrelated errors alone', () => {
    for (const code of ['23505', '22P02', '42P01', '40001', '57014']) {
      const driverError = withCode('statement failed', code);
      expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], driverError))).toBe(false);
    }
    // Only the code counts: a message that merely mentions a socket error is not enough.
    expect(isDatabaseUnavailable(new Error('connect ECONNREFUSED db.internal:5432'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('Connection terminated')).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe('isValueRefused', () => {
  it('recognises data exceptions and constraint violations, also inside a TypeORM error', () => {
    for (const code of ['22003', '22P02', '22021', '23502', '23514']) {
      const driverError = withCode('statement failed', code);
      expect(isValueRefused(driverError)).toBe(true);
      expect(isValueRefused(new QueryFailedError('INSERT', [], driverError))).toBe(true);
    }
  });

  it('leaves an unavailable database, a cancelled statement and other errors alone', () => {
    for (const code of ['57P01', '08006', '57014', '42P01', '40001', 'ECONNRESET']) {
      expect(isValueRefused(withCode('failed', code))).toBe(false);
    }
    expect(isValueRefused(new Error('Connection terminated unexpectedly'))).toBe(false);
  });
});

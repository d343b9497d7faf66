import { describe, expect, it } from '@jest/globals';
import { AppException } from '../common/app.exception.js';
import { parseStatusFilter } from './status-filter.js';

describe('parseStatusFilter', () => {
  it('reads an exact status', () => {
    expect(parseStatusFilter('429')).toEqual({ min: 429, max: 429 });
    expect(parseStatusFilter('200')).toEqual({ min: 200, max: 200 });
  });

  it('reads a status class, in either case', () => {
    expect(parseStatusFilter('4xx')).toEqual({ min: 400, max: 499 });
    expect(parseStatusFilter('5XX')).toEqual({ min: 500, max: 599 });
    expect(parseStatusFilter('2xx')).toEqual({ min: 200, max: 299 });
  });

  it.each(['', '42', '4x', '6xx', '0xx', '600', '099', 'abc', '4xy', '-1'])(
    'refuses %p with a 400 naming the field',
    (value) => {
      let thrown: unknown;
      try {
        parseStatusFilter(value);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppException);
      const body = (thrown as AppException).toBody();
      expect(body).toMatchObject({ statusCode: 400, code: 'validation_failed' });
      expect(body.errors?.[0]?.field).toBe('status');
    },
  );
});

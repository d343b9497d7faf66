import { describe, expect, it } from '@jest/globals';
import { ApiError } from './client';
import { errorMessage } from './messages';

describe('errorMessage for validation_failed', () => {
  it("gives the server's sentence, which names the field and what is wrong with it", () => {
    const error = new ApiError({
      statusCode: 400,
      code: 'validation_failed',
      message: 'monthlyRequestLimit must not be greater than 1000000000000',
      errors: [
        {
          field: 'monthlyRequestLimit',
          messages: ['monthlyRequestLimit must not be greater than 1000000000000'],
        },
      ],
    });
    expect(errorMessage(error)).toBe('monthlyRequestLimit must not be greater than 1000000000000');
  });

  it('falls back to a general line when the server sent no sentence', () => {
    const error = new ApiError({ statusCode: 400, code: 'validation_failed', message: '' });
    expect(errorMessage(error)).toBe('Some fields need attention.');
  });
});

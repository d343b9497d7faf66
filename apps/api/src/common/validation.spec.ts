import { describe, expect, it } from '@jest/globals';
import { fieldMessages } from './validation.js';

describe('fieldMessages', () => {
  it('gives a field of the wrong kind only the message of its kind', () => {
    expect(
      fieldMessages({
        maxLength: 'name must be shorter than or equal to 100 characters',
        minLength: 'name must not be blank',
        isString: 'name must be a string',
      }),
    ).toEqual(['name must be a string']);
  });

  it('gives a value of the right kind every rule it breaks', () => {
    expect(
      fieldMessages({
        minLength: 'password must be longer than or equal to 12 characters',
        matches: 'password must hold a digit',
      }),
    ).toEqual([
      'password must be longer than or equal to 12 characters',
      'password must hold a digit',
    ]);
  });
});

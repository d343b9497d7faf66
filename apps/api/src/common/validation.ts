import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldError } from '@keyward/shared';
import { AppException } from './app.exception.js';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldError[] = error.constraints
      ? [{ field, messages: Object.values(error.constraints) }]
      : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Unknown fields are refused (not silently dropped), so mass assignment fails loudly. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Values are never echoed back: an error must not repeat a secret someone mistyped.
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      const summary = fieldErrors.map((error) => error.messages.join(', ')).join('; ');
      return new AppException(400, 'validation_failed', summary || 'Invalid request', fieldErrors);
    },
  });
}

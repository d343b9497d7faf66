import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldError } from '@keyward/shared';
import { AppException, bodyNotAnObject } from './app.exception.js';
import { isRecord } from './is-record.js';

/** Checks of a value's kind: when one fails, the field's other rules say nothing more. */
const TYPE_CHECKS = new Set([
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isArray',
  'isObject',
  'isDefined',
]);

/**
 * The messages of a field's failed rules; a field of the wrong kind (or missing) gets only its
 * kind's message, not every length and format rule a non-string also fails.
 */
export function fieldMessages(constraints: Record<string, string>): string[] {
  const failed = Object.entries(constraints);
  const wrongKind = failed.filter(([rule]) => TYPE_CHECKS.has(rule));
  return (wrongKind.length > 0 ? wrongKind : failed).map(([, message]) => message);
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own: FieldError[] = error.constraints
      ? [{ field, messages: fieldMessages(error.constraints) }]
      : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Parameter types that are not DTO classes: `unknown` bodies among them (their metatype is Object). */
const NOT_FIELDS = new Set<unknown>([Object, Array, String, Number, Boolean]);

/**
 * A body of a route that takes fields must be a JSON object: `[]`, `null` or `5` would otherwise
 * be answered with the missing fields, as if the object had been sent empty. Routes that read
 * their body themselves (`unknown`) say what they take in their own words.
 */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const takesFields =
      typeof metadata.metatype === 'function' && !NOT_FIELDS.has(metadata.metatype);
    if (
      metadata.type === 'body' &&
      metadata.data === undefined &&
      takesFields &&
      value !== undefined &&
      !isRecord(value)
    ) {
      throw bodyNotAnObject();
    }
    return super.transform(value, metadata);
  }
}

/** Unknown fields are refused (not silently dropped), so mass assignment fails loudly. */
export function createValidationPipe(): ValidationPipe {
  return new BodyValidationPipe({
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

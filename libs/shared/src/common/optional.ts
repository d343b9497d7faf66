import { ValidateIf } from 'class-validator';

/**
 * A field that may be left out. Unlike class-validator's `IsOptional`, which skips null as well,
 * null is checked like any other value, so it is refused with the field's own message unless the
 * field admits it: an `IsOptional` string given null would reach code that calls `.trim()` on it.
 * Fields where null means something ("no expiry", "no budget") keep `IsOptional`.
 */
export const Optional = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);

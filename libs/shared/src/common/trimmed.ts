import { Transform } from 'class-transformer';

/**
 * Trims a string field before it is validated, so length rules apply to what is left and a name
 * of spaces alone counts as blank; any other value passes untouched for validation to refuse.
 */
export const Trimmed = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

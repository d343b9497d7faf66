import type { FieldError } from '@keyward/shared';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

export type FieldErrors = Partial<Record<string, string[]>>;

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

function flatten(errors: ValidationError[], prefix = ''): FieldErrors {
  const result: FieldErrors = {};
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) result[field] = messages;
    Object.assign(result, flatten(error.children ?? [], field));
  }
  return result;
}

/**
 * Runs the same class-validator rules the API runs (the DTO classes come from
 * @keyward/shared), including their class-transformer normalisation, before anything is sent.
 */
export async function validateRequest<T extends object>(
  dto: new () => T,
  plain: Record<string, unknown>,
): Promise<ValidationResult<T>> {
  const instance = plainToInstance(dto, plain);
  const errors = await validate(instance, { forbidUnknownValues: true });
  if (errors.length === 0) return { ok: true, value: instance };
  return { ok: false, errors: flatten(errors) };
}

/**
 * An empty box gets "Enter your email" rather than the DTO's rule text (which would read
 * "password must be longer than or equal to 1 characters").
 */
export function requireFilled(
  errors: FieldErrors,
  values: Record<string, string>,
  labels: Record<string, string>,
): FieldErrors {
  const result = { ...errors };
  for (const [field, label] of Object.entries(labels)) {
    if ((values[field] ?? '').trim() === '') result[field] = [`Enter your ${label}.`];
  }
  return result;
}

export function fieldErrorsFromApi(errors: FieldError[]): FieldErrors {
  const result: FieldErrors = {};
  for (const { field, messages } of errors) result[field] = messages;
  return result;
}

/** After errors render, move focus to the first invalid field so keyboard users land on it. */
export function focusFirstInvalid(form: HTMLFormElement): void {
  requestAnimationFrame(() => {
    form.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
  });
}

import { invalidField } from '../common/app.exception.js';

/** An HTTP status filter: one status, or a whole class (`4xx` is 400 to 499). */
export interface StatusFilter {
  min: number;
  max: number;
}

const EXACT = /^[1-5][0-9]{2}$/;
const CLASS = /^([1-5])xx$/i;

/** Parses `429` or `4xx`; anything else is the caller's mistake, so a 400 names the field. */
export function parseStatusFilter(value: string): StatusFilter {
  const text = value.trim();
  if (EXACT.test(text)) {
    const status = Number(text);
    return { min: status, max: status };
  }
  const match = CLASS.exec(text);
  if (match?.[1]) {
    const min = Number(match[1]) * 100;
    return { min, max: min + 99 };
  }
  const message = 'status must be an HTTP status (429) or a class (4xx)';
  throw invalidField('status', message);
}

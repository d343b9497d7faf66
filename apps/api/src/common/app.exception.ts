import { HttpException } from '@nestjs/common';
import type { ErrorBody, ErrorCode, FieldError } from '@keyward/shared';

/**
 * A domain error with a stable code. Features throw these (or the helpers below); the global
 * filter turns them into `{ statusCode, code, message }`.
 */
export class AppException extends HttpException {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly fieldErrors?: FieldError[],
    /** Extra response headers, such as Retry-After. */
    readonly headers: Record<string, string> = {},
    /** Machine-readable facts about the error, such as a quota's limit and reset time. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message, statusCode);
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { statusCode: this.statusCode, code: this.code, message: this.message };
    if (this.fieldErrors) body.errors = this.fieldErrors;
    if (this.details) body.details = this.details;
    return body;
  }
}

/** A 400 about one field, which `errors` names, so forms can show it beside the field. */
export const invalidField = (field: string, message: string): AppException =>
  new AppException(400, 'validation_failed', message, [{ field, messages: [message] }]);

/** A body that is JSON but not an object (`[]`, `null`, `5`): there is no field to name. */
export const bodyNotAnObject = (): AppException =>
  new AppException(400, 'validation_failed', 'Request body must be a JSON object');

export const notFound = (what: string): AppException =>
  new AppException(404, 'not_found', `${what} not found`);

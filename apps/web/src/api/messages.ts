import { ApiError } from './client';

/** A sentence a person can act on, for any error a query or mutation can throw. */
export function errorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error ? error.message : 'Something went wrong.';
  }
  switch (error.code) {
    case 'rate_limited':
      return error.retryAfterSeconds
        ? `Too many attempts. Try again in ${error.retryAfterSeconds} seconds.`
        : 'Too many attempts. Wait a moment and try again.';
    case 'invalid_credentials':
      return 'That email and password do not match an account.';
    case 'account_disabled':
      return 'This account has been disabled. Ask an administrator to re-enable it.';
    case 'registration_disabled':
      return 'Self-service registration is turned off on this Keyward instance. Ask an administrator for an account.';
    case 'email_taken':
      return 'An account with this email already exists.';
    case 'validation_failed':
      // The server's sentence names each field and what is wrong with it: not every form has a
      // place beside each field for it (a plan's limits, a user's plan), and a 409 has none.
      return error.message || 'Some fields need attention.';
    case 'forbidden':
      return 'You do not have permission to do that.';
    case 'last_admin':
      return 'Keyward needs at least one active admin, so this change was refused.';
    case 'database_unavailable':
      return 'Keyward cannot reach its database right now. Try again in a few seconds.';
    case 'service_unavailable':
    case 'internal_error':
      return error.message || 'The server had a problem. Try again shortly.';
    default:
      return error.message;
  }
}

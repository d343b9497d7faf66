/**
 * Whether an error means the database cannot be reached (rather than that a statement was
 * wrong): the request may succeed if sent again once the database is back, so it is answered
 * with 503 instead of a 500 that would read as a bug.
 */

/** SQLSTATE classes and codes of a server that is gone, going or not accepting connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;

/** Socket errors of a connection that could not be opened or was cut. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * node-postgres's message for a statement unanswered for DATABASE_QUERY_TIMEOUT_MS (its
 * connection is dropped then, see data-source.ts).
 */
export const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * What node-postgres says when a connection drops mid-query or the pool cannot hand one out in
 * time; these errors carry no code.
 */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  QUERY_READ_TIMEOUT,
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

interface MaybeDatabaseError {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
}

/**
 * Whether `matches` holds for the error or for one it wraps: TypeORM wraps the driver's error
 * (QueryFailedError.driverError). Two levels deep at most.
 */
function anyLayer(
  error: unknown,
  matches: (layer: MaybeDatabaseError) => boolean,
  depth = 0,
): boolean {
  if (typeof error !== 'object' || error === null || depth > 2) return false;
  const layer = error as MaybeDatabaseError;
  return matches(layer) || anyLayer(layer.driverError, matches, depth + 1);
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return anyLayer(error, ({ code, message }) => {
    if (typeof code === 'string') {
      if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
    }
    return (
      typeof message === 'string' && UNAVAILABLE_MESSAGES.some((known) => message.startsWith(known))
    );
  });
}

/**
 * Whether the database cancelled a statement (SQLSTATE 57014): it ran past its
 * `statement_timeout` (DATABASE_QUERY_TIMEOUT_MS), or an operator cancelled it. The server is
 * there and answering; the request asked for more than it could do in time.
 */
export function isStatementCancelled(error: unknown): boolean {
  return anyLayer(error, ({ code }) => code === STATEMENT_CANCELLED);
}

const STATEMENT_CANCELLED = '57014';

/**
 * Whether the database refused a statement for the values it carried (SQLSTATE class 22, data
 * exception, or 23, integrity constraint violation): sent again unchanged, it fails again.
 */
export function isValueRefused(error: unknown): boolean {
  return anyLayer(error, ({ code }) => typeof code === 'string' && /^2[23]/.test(code));
}

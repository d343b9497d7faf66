/** What the router carries to /login and /register in history state (never in the URL). */
export interface AuthLocationState {
  /** Where a signed-out visitor was heading; they return there after signing in. */
  from?: string;
  /** Prefills the sign-in form right after registering. */
  registeredEmail?: string;
  signedOut?: boolean;
}

export function readAuthState(state: unknown): AuthLocationState {
  if (typeof state !== 'object' || state === null) return {};
  const { from, registeredEmail, signedOut } = state as Record<string, unknown>;
  return {
    // Only same-app paths: never follow an absolute or protocol-relative URL.
    from: typeof from === 'string' && /^\/(?!\/)/.test(from) ? from : undefined,
    registeredEmail: typeof registeredEmail === 'string' ? registeredEmail : undefined,
    signedOut: signedOut === true,
  };
}

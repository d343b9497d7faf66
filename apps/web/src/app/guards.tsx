import type { ReactElement, ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { FullPageLoader, PageHeader } from '../components/Feedback';
import { useCurrentUser, useSession } from '../features/auth/auth-context';
import type { AuthLocationState } from '../features/auth/location-state';
import { ServerUnreachable } from '../features/auth/ServerUnreachable';

/** Signed-out visitors go to /login, and come back here after signing in. */
export function RequireAuth({ children }: { children: ReactNode }): ReactElement {
  const session = useSession();
  const location = useLocation();
  if (session.status === 'unknown') return <FullPageLoader />;
  if (session.status === 'unreachable') return <ServerUnreachable message={session.message} />;
  if (session.status === 'anonymous') {
    // Signing out unmounts the signed-in pages at once, so this redirect (not the sign-out
    // handler) is what carries the "signed out" notice to /login.
    const state: AuthLocationState = session.signedOut
      ? { signedOut: true }
      : { from: `${location.pathname}${location.search}` };
    return <Navigate to="/login" replace state={state} />;
  }
  return <>{children}</>;
}

/** The API enforces the role; this only spares non-admins a page of errors. */
export function RequireAdmin({ children }: { children: ReactNode }): ReactElement {
  const user = useCurrentUser();
  if (user.role !== 'admin') {
    return (
      <PageHeader
        title="Admins only"
        description="This page is for Keyward administrators. Ask one if you need access."
      />
    );
  }
  return <>{children}</>;
}

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore, type ReactElement, type ReactNode } from 'react';
import { getSession, subscribeSession } from '../../api/client';
import { AuthContext } from './auth-context';
import { useRestoreSession } from './hooks';

export function AuthProvider({ children }: { children: ReactNode }): ReactElement {
  const session = useSyncExternalStore(subscribeSession, getSession);
  const queryClient = useQueryClient();
  useRestoreSession();

  // A session can also end on its own (refresh refused, account disabled): drop its data.
  useEffect(() => {
    if (session.status === 'anonymous') queryClient.removeQueries();
  }, [session.status, queryClient]);

  return <AuthContext.Provider value={session}>{children}</AuthContext.Provider>;
}

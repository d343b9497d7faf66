import type { UserResponse } from '@keyward/shared';
import { createContext, useContext } from 'react';
import type { Session } from '../../api/client';

export const AuthContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(AuthContext);
  if (session === null) throw new Error('useSession must be used inside <AuthProvider>');
  return session;
}

/** The signed-in user; only for components rendered behind <RequireAuth>. */
export function useCurrentUser(): UserResponse {
  const session = useSession();
  if (session.status !== 'authenticated') {
    throw new Error('useCurrentUser must be used behind <RequireAuth>');
  }
  return session.user;
}

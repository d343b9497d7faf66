import type { Role } from '@keyward/shared';

/** Who is calling a console route, as the JWT strategy attaches it to the request. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  sessionId: string;
}

export interface AccessTokenPayload {
  sub: string;
  role: Role;
  sid: string;
}

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** A user as every route shows it: never with a password hash or session data. */
export interface UserResponse {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  /** The plan whose monthly limits apply to this user's keys. */
  planId: string;
  createdAt: string;
  lastLoginAt: string | null;
}

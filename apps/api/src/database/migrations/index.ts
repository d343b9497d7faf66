import { UsersAndSessions1795319615000 } from './1795319615000-users-and-sessions.js';

/** Every migration, oldest first. A new migration is a new file plus a line here. */
export const MIGRATIONS = [UsersAndSessions1795319615000];

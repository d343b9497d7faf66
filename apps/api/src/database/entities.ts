import { RefreshToken } from '../auth/refresh-token.entity.js';
import { Session } from '../auth/session.entity.js';
import { User } from '../users/user.entity.js';

export const ENTITIES = [User, Session, RefreshToken];

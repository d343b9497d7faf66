import { AuditEvent } from '../audit/audit-event.entity.js';
import { RefreshToken } from '../auth/refresh-token.entity.js';
import { Session } from '../auth/session.entity.js';
import { ApiKeySecret } from '../keys/api-key-secret.entity.js';
import { ApiKey } from '../keys/api-key.entity.js';
import { Notification } from '../notifications/notification.entity.js';
import { ProviderCredential } from '../providers/provider-credential.entity.js';
import { User } from '../users/user.entity.js';

export const ENTITIES = [
  User,
  Session,
  RefreshToken,
  ApiKey,
  ApiKeySecret,
  AuditEvent,
  Notification,
  ProviderCredential,
];

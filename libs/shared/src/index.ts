// class-transformer's @Type reads decorator metadata while the DTO classes are defined.
import 'reflect-metadata';

export * from './common/errors.js';
export * from './common/pagination.js';
export * from './common/health.js';
export * from './common/time.js';
export * from './users/user.js';
export * from './users/admin-users.dto.js';
export * from './auth/auth.dto.js';
export * from './keys/scopes.js';
export * from './keys/key-format.js';
export * from './keys/api-keys.dto.js';
export * from './audit/audit.dto.js';
export * from './keys/leaks.dto.js';
export * from './notifications/notifications.dto.js';
export * from './providers/providers.dto.js';
export * from './usage/usage.dto.js';
export * from './plans/plans.dto.js';
export * from './webhooks/webhooks.dto.js';
export * from './gateway/gateway.dto.js';

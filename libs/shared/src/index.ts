// class-transformer's @Type reads decorator metadata while the DTO classes are defined.
import 'reflect-metadata';

export * from './common/errors.js';
export * from './common/pagination.js';
export * from './common/health.js';
export * from './users/user.js';
export * from './users/admin-users.dto.js';
export * from './auth/auth.dto.js';

import { IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { PageQuery } from '../common/pagination.js';
import { ROLES, type Role } from './user.js';

export class UpdateUserRequest {
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,32}$/, {
    message: 'planId must be 1-32 lowercase letters, digits or dashes',
  })
  planId?: string;
}

export class ListUsersQuery extends PageQuery {}

import { IsBoolean, IsIn, IsString, Matches } from 'class-validator';
import { Optional } from '../common/optional.js';
import { PageQuery } from '../common/pagination.js';
import { ROLES, type Role } from './user.js';

export class UpdateUserRequest {
  @Optional()
  @IsIn(ROLES)
  role?: Role;

  @Optional()
  @IsBoolean()
  disabled?: boolean;

  @Optional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,32}$/, {
    message: 'planId must be 1-32 lowercase letters, digits or dashes',
  })
  planId?: string;
}

export class ListUsersQuery extends PageQuery {}

import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../common/pagination.js';
import { ROLES, type Role } from './user.js';

export class UpdateUserRequest {
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;

  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class ListUsersQuery extends PageQuery {}

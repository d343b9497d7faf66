import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiQueryFrom } from '../openapi.js';
import { ListUsersQuery, UpdateUserRequest, type Page, type UserResponse } from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentActor } from '../auth/current-principal.decorator.js';
import type { Actor } from '../auth/principal.js';
import { UsersService } from './users.service.js';

@ApiTags('admin')
@Controller('api/admin/users')
@ConsoleAuth('admin:users')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiQueryFrom(ListUsersQuery)
  list(@Query() query: ListUsersQuery): Promise<Page<UserResponse>> {
    return this.users.list(query.page, query.pageSize);
  }

  @Patch(':id')
  update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: UpdateUserRequest,
  ): Promise<UserResponse> {
    return this.users.update(actor, id, body);
  }
}

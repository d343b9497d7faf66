import { Body, Controller, Get, Param, Patch, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ListUsersQuery, UpdateUserRequest, type Page, type UserResponse } from '@keyward/shared';
import { JwtAuthGuard } from '../auth/jwt-auth.guard.js';
import { Roles, RolesGuard } from '../auth/roles.js';
import { UsersService } from './users.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin/users')
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('admin')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  list(@Query() query: ListUsersQuery): Promise<Page<UserResponse>> {
    return this.users.list(query.page, query.pageSize);
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: UpdateUserRequest): Promise<UserResponse> {
    return this.users.update(id, body);
  }
}

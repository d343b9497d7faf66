import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiQueryFrom } from '../openapi.js';
import {
  ADMIN_SCOPES,
  CreateApiKeyRequest,
  ListApiKeysQuery,
  RegenerateApiKeyRequest,
  SCOPE_CATALOGUE,
  SCOPE_PRESET_DESCRIPTIONS,
  SCOPE_PRESETS,
  SCOPE_PRESET_NAMES,
  SCOPES,
  UpdateApiKeyRequest,
  type ApiKeyResponse,
  type CreatedApiKeyResponse,
  type Page,
  type RegeneratedApiKeyResponse,
  type ScopeCatalogueResponse,
} from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentActor, CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Actor, Principal } from '../auth/principal.js';
import { ApiKeysService } from './api-keys.service.js';

@ApiTags('api-keys')
@Controller('api/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get('scopes')
  @ConsoleAuth()
  scopes(): ScopeCatalogueResponse {
    return {
      scopes: SCOPES.map((scope) => ({
        scope,
        description: SCOPE_CATALOGUE[scope],
        adminOnly: ADMIN_SCOPES.includes(scope),
      })),
      presets: SCOPE_PRESET_NAMES.map((name) => ({
        name,
        description: SCOPE_PRESET_DESCRIPTIONS[name],
        scopes: [...SCOPE_PRESETS[name]],
      })),
    };
  }

  @Post()
  @ConsoleAuth('keys:write')
  create(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: Actor,
    @Body() body: CreateApiKeyRequest,
  ): Promise<CreatedApiKeyResponse> {
    return this.keys.create(principal, actor, body);
  }

  @Get()
  @ConsoleAuth('keys:read')
  @ApiQueryFrom(ListApiKeysQuery)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListApiKeysQuery,
  ): Promise<Page<ApiKeyResponse>> {
    return this.keys.list(principal, query);
  }

  @Get(':id')
  @ConsoleAuth('keys:read')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ApiKeyResponse> {
    return this.keys.get(principal, id);
  }

  @Patch(':id')
  @ConsoleAuth('keys:write')
  update(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: UpdateApiKeyRequest,
  ): Promise<ApiKeyResponse> {
    return this.keys.update(principal, actor, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ConsoleAuth('keys:write')
  revoke(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
  ): Promise<void> {
    return this.keys.revoke(principal, actor, id);
  }

  @Post(':id/regenerate')
  @HttpCode(200)
  @ConsoleAuth('keys:write')
  regenerate(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: RegenerateApiKeyRequest,
  ): Promise<RegeneratedApiKeyResponse> {
    return this.keys.regenerate(principal, actor, id, body);
  }
}

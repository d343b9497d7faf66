import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
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
import { actorOf, type Principal, type PrincipalRequest } from '../auth/principal.js';
import { ApiKeysService } from './api-keys.service.js';

const principalOf = (request: PrincipalRequest): Principal => request.principal!;

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
    @Req() request: PrincipalRequest,
    @Body() body: CreateApiKeyRequest,
  ): Promise<CreatedApiKeyResponse> {
    return this.keys.create(principalOf(request), actorOf(request), body);
  }

  @Get()
  @ConsoleAuth('keys:read')
  list(
    @Req() request: PrincipalRequest,
    @Query() query: ListApiKeysQuery,
  ): Promise<Page<ApiKeyResponse>> {
    return this.keys.list(principalOf(request), query);
  }

  @Get(':id')
  @ConsoleAuth('keys:read')
  get(@Req() request: PrincipalRequest, @Param('id') id: string): Promise<ApiKeyResponse> {
    return this.keys.get(principalOf(request), id);
  }

  @Patch(':id')
  @ConsoleAuth('keys:write')
  update(
    @Req() request: PrincipalRequest,
    @Param('id') id: string,
    @Body() body: UpdateApiKeyRequest,
  ): Promise<ApiKeyResponse> {
    return this.keys.update(principalOf(request), actorOf(request), id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ConsoleAuth('keys:write')
  revoke(@Req() request: PrincipalRequest, @Param('id') id: string): Promise<void> {
    return this.keys.revoke(principalOf(request), actorOf(request), id);
  }

  @Post(':id/regenerate')
  @HttpCode(200)
  @ConsoleAuth('keys:write')
  regenerate(
    @Req() request: PrincipalRequest,
    @Param('id') id: string,
    @Body() body: RegenerateApiKeyRequest,
  ): Promise<RegeneratedApiKeyResponse> {
    return this.keys.regenerate(principalOf(request), actorOf(request), id, body);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  CreateProviderKeyRequest,
  ProviderPreferencesRequest,
  UpdateProviderKeyRequest,
  type ProviderInfo,
  type ProviderKeyResponse,
  type ProviderKeyTestResponse,
  type ProviderPreferencesResponse,
  type ProviderStatusEntry,
} from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentActor, CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Actor, Principal } from '../auth/principal.js';
import { catalogue } from './provider-catalogue.js';
import { ProviderKeysService } from './provider-keys.service.js';
import { ProviderPreferencesService } from './provider-preferences.service.js';

@ApiTags('providers')
@Controller('api')
export class ProvidersController {
  constructor(
    private readonly keys: ProviderKeysService,
    private readonly preferences: ProviderPreferencesService,
  ) {}

  @Get('providers')
  @ConsoleAuth('providers:read')
  catalogue(): ProviderInfo[] {
    return catalogue();
  }

  @Get('providers/status')
  @ConsoleAuth('providers:read')
  status(@CurrentPrincipal() principal: Principal): Promise<ProviderStatusEntry[]> {
    return this.keys.status(principal.userId);
  }

  @Post('provider-keys')
  @ConsoleAuth('providers:write')
  create(
    @CurrentActor() actor: Actor,
    @Body() body: CreateProviderKeyRequest,
  ): Promise<ProviderKeyResponse> {
    return this.keys.create(actor, body);
  }

  @Get('provider-keys')
  @ConsoleAuth('providers:read')
  list(@CurrentPrincipal() principal: Principal): Promise<ProviderKeyResponse[]> {
    return this.keys.list(principal.userId);
  }

  @Get('provider-keys/:id')
  @ConsoleAuth('providers:read')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ProviderKeyResponse> {
    return this.keys.get(principal.userId, id);
  }

  @Put('provider-keys/:id')
  @ConsoleAuth('providers:write')
  update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: UpdateProviderKeyRequest,
  ): Promise<ProviderKeyResponse> {
    return this.keys.update(actor, id, body);
  }

  @Delete('provider-keys/:id')
  @HttpCode(204)
  @ConsoleAuth('providers:write')
  remove(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    return this.keys.remove(actor, id);
  }

  @Post('provider-keys/:id/test')
  @HttpCode(200)
  @ConsoleAuth('providers:write')
  test(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ProviderKeyTestResponse> {
    return this.keys.test(principal.userId, id);
  }

  @Get('provider-preferences')
  @ConsoleAuth('providers:read')
  getPreferences(@CurrentPrincipal() principal: Principal): Promise<ProviderPreferencesResponse> {
    return this.preferences.get(principal.userId);
  }

  @Put('provider-preferences')
  @ConsoleAuth('providers:write')
  setPreferences(
    @CurrentActor() actor: Actor,
    @Body() body: ProviderPreferencesRequest,
  ): Promise<ProviderPreferencesResponse> {
    return this.preferences.set(actor, body);
  }
}

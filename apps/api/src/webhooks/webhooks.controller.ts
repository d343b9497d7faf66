import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  SetWebhookRequest,
  type WebhookResponse,
  type WebhookTestResponse,
  type WebhookWithSecretResponse,
} from '@keyward/shared';
import { ConsoleAuth } from '../auth/auth.decorators.js';
import { CurrentActor, CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Actor, Principal } from '../auth/principal.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('webhooks')
@Controller('api/settings/webhook')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ConsoleAuth('webhooks:read')
  get(@CurrentPrincipal() principal: Principal): Promise<WebhookResponse> {
    return this.webhooks.get(principal.userId);
  }

  @Put()
  @ConsoleAuth('webhooks:write')
  set(
    @CurrentActor() actor: Actor,
    @Body() body: SetWebhookRequest,
  ): Promise<WebhookResponse | WebhookWithSecretResponse> {
    return this.webhooks.set(actor, body.url);
  }

  @Delete()
  @HttpCode(204)
  @ConsoleAuth('webhooks:write')
  remove(@CurrentActor() actor: Actor): Promise<void> {
    return this.webhooks.remove(actor);
  }

  @Post('rotate-secret')
  @HttpCode(200)
  @ConsoleAuth('webhooks:write')
  rotateSecret(@CurrentActor() actor: Actor): Promise<WebhookWithSecretResponse> {
    return this.webhooks.rotateSecret(actor);
  }

  @Post('test')
  @HttpCode(200)
  @ConsoleAuth('webhooks:write')
  test(@CurrentPrincipal() principal: Principal): Promise<WebhookTestResponse> {
    return this.webhooks.test(principal.userId);
  }
}

import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module.js';
import { QuotasModule } from '../quotas/quotas.module.js';
import { ChatCompletionsController } from './chat-completions.controller.js';
import { ChatService } from './chat.service.js';
import { GenerateController } from './generate.controller.js';
import { ModelsController } from './models.controller.js';
import { ModelsService } from './models.service.js';
import { UpstreamClient } from './upstream-client.js';

/** The guarded API (`/v1`): what keys are for. */
@Module({
  imports: [ProvidersModule, QuotasModule],
  controllers: [ModelsController, ChatCompletionsController, GenerateController],
  providers: [ModelsService, ChatService, UpstreamClient],
})
export class GatewayModule {}

import { Module } from '@nestjs/common';
import { ModelsController } from './models.controller.js';
import { ModelsService } from './models.service.js';

/** The guarded API (`/v1`): what keys are for. */
@Module({
  controllers: [ModelsController],
  providers: [ModelsService],
})
export class GatewayModule {}

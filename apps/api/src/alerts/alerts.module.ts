import { Module } from '@nestjs/common';
import { AlertsJob } from './alerts.job.js';
import { AlertsService } from './alerts.service.js';

@Module({ providers: [AlertsService, AlertsJob], exports: [AlertsService] })
export class AlertsModule {}

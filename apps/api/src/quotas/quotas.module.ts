import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { QuotaAlerts } from './quota-alerts.js';
import { QuotaService } from './quota.service.js';

@Module({
  imports: [AlertsModule],
  providers: [QuotaService, QuotaAlerts],
  exports: [QuotaService],
})
export class QuotasModule {}

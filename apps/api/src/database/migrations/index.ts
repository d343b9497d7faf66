import { UsersAndSessions1795319615000 } from './1795319615000-users-and-sessions.js';
import { ApiKeysAndAudit1795321598000 } from './1795321598000-api-keys-and-audit.js';
import { ProviderVault1795322849000 } from './1795322849000-provider-vault.js';
import { UsagePlansAlerts1795400000000 } from './1795400000000-usage-plans-alerts.js';
import { AlertsWebhooks1795500000000 } from './1795500000000-alerts-webhooks.js';
import { KeyActivityFlushes1795600000000 } from './1795600000000-key-activity-flushes.js';
import { SessionsEndedIndex1795700000000 } from './1795700000000-sessions-ended-index.js';
import { UpgradeRequestsSuperseded1795800000000 } from './1795800000000-upgrade-requests-superseded.js';
import { SettleMootUpgradeRequests1795900000000 } from './1795900000000-settle-moot-upgrade-requests.js';
import { RetiredPlans1796000000000 } from './1796000000000-retired-plans.js';

/** Every migration, oldest first. A new migration is a new file plus a line here. */
export const MIGRATIONS = [
  UsersAndSessions1795319615000,
  ApiKeysAndAudit1795321598000,
  ProviderVault1795322849000,
  UsagePlansAlerts1795400000000,
  AlertsWebhooks1795500000000,
  KeyActivityFlushes1795600000000,
  SessionsEndedIndex1795700000000,
  UpgradeRequestsSuperseded1795800000000,
  SettleMootUpgradeRequests1795900000000,
  RetiredPlans1796000000000,
];

import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Agent } from 'undici';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { OutboundAddressGuard, type OutboundAddressRefused } from '../network/outbound-guard.js';

/**
 * Where provider calls may connect: every outbound connection to a provider (chat, generation,
 * credential checks) goes through one guard, which refuses internal addresses not listed in
 * PROVIDER_ALLOWED_PRIVATE_NETWORKS. Base URLs are operator settings, but a name can resolve
 * anywhere, and calls carry users' provider credentials.
 */
@Injectable()
export class ProviderNetwork implements OnApplicationShutdown {
  private readonly logger = new Logger('ProviderNetwork');
  /** host and addresses already logged: a misconfigured provider would otherwise log per call. */
  private readonly reported = new Set<string>();
  readonly guard: OutboundAddressGuard;
  /** Keep-alive connections for credential checks, shared by every verification. */
  readonly verificationAgent: Agent;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.guard = new OutboundAddressGuard({
      allowList: config.providers.allowedPrivateNetworks,
      onRefused: (refusal) => {
        this.report(refusal);
      },
    });
    this.verificationAgent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 16,
      connect: this.guard.connector(),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.verificationAgent.close();
  }

  private report(refusal: OutboundAddressRefused): void {
    const key = `${refusal.host} ${refusal.addresses.join(',')}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.logger.warn(
      `Refused to connect to a provider at ${refusal.host} (${refusal.addresses.join(', ')}): not a public internet address and not in PROVIDER_ALLOWED_PRIVATE_NETWORKS. Calls to it fail until that changes; logged once per address.`,
    );
  }
}

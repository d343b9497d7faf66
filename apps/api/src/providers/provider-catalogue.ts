import type { ProviderId, ProviderInfo } from '@keyward/shared';
import { PROVIDER_ADAPTERS } from './adapters/index.js';
import type { ProviderAdapter } from './adapters/provider-adapter.js';
import type { AppConfig } from '../config/app-config.js';

export function adapterFor(provider: ProviderId): ProviderAdapter {
  return PROVIDER_ADAPTERS[provider];
}

/** Operators may point a provider elsewhere (a proxy, a regional endpoint); users never can. */
export function baseUrlFor(config: AppConfig, provider: ProviderId): string {
  return config.providers.baseUrls[provider] ?? PROVIDER_ADAPTERS[provider].defaultBaseUrl;
}

export function catalogue(): ProviderInfo[] {
  return Object.values(PROVIDER_ADAPTERS).map((adapter) => adapter.info);
}

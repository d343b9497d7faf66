import { Module } from '@nestjs/common';
import { CredentialLookup } from './credential-lookup.js';
import { CredentialVault } from './credential-vault.js';
import { ProviderKeysService } from './provider-keys.service.js';
import { ProviderNetwork } from './provider-network.js';
import { ProviderPreferencesService } from './provider-preferences.service.js';
import { ProvidersController } from './providers.controller.js';
import { ReverificationJob } from './reverification.job.js';

@Module({
  controllers: [ProvidersController],
  providers: [
    CredentialVault,
    CredentialLookup,
    ProviderKeysService,
    ProviderNetwork,
    ProviderPreferencesService,
    ReverificationJob,
  ],
  exports: [
    CredentialVault,
    CredentialLookup,
    ProviderKeysService,
    ProviderNetwork,
    ProviderPreferencesService,
  ],
})
export class ProvidersModule {}

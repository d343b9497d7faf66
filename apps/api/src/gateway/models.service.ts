import { Injectable } from '@nestjs/common';
import type { ProviderId } from '@keyward/shared';
import type { VerifiedKey } from '../keys/verified-key.js';
import { CredentialLookup } from '../providers/credential-lookup.js';
import { adapterFor } from '../providers/provider-catalogue.js';
import { isModelAllowed } from './allowed-models.js';

/** An entry of `GET /v1/models`, in the OpenAI list format plus Keyward's own fields. */
export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: ProviderId;
  name: string;
  capabilities: string[];
  pricing: { inputPerMillion: number; outputPerMillion: number; currency: 'USD' };
}

export interface ModelList {
  object: 'list';
  data: ModelEntry[];
}

@Injectable()
export class ModelsService {
  constructor(private readonly credentials: CredentialLookup) {}

  /**
   * The models this key can use now: from providers where its owner holds a credential that
   * verified as valid, narrowed by the key's allowed models.
   */
  async available(key: VerifiedKey): Promise<ModelList> {
    const providers = await this.credentials.validProviders(key.userId);
    const data = providers.flatMap((provider) =>
      adapterFor(provider)
        .info.models.filter((model) => isModelAllowed(key.allowedModels, model.id))
        .map((model): ModelEntry => ({
          id: model.id,
          object: 'model',
          created: 0,
          owned_by: provider,
          name: model.name,
          capabilities: model.capabilities,
          pricing: {
            inputPerMillion: model.inputPricePerMillion,
            outputPerMillion: model.outputPricePerMillion,
            currency: 'USD',
          },
        })),
    );
    return { object: 'list', data };
  }
}

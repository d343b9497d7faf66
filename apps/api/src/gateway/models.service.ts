import { Injectable } from '@nestjs/common';
import type { ProviderId } from '@keyward/shared';
import { LRUCache } from 'lru-cache';
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
  /**
   * Lists as sent, by the providers and allowed models they were built from: the same for every
   * call of a key until its owner's usable credentials change (which changes the providers, so
   * the entry), and serializing the list was the largest part of the route's own work.
   */
  private readonly serialized = new LRUCache<string, string>({ max: 1_000 });

  constructor(private readonly credentials: CredentialLookup) {}

  /**
   * The models this key can use now, as the JSON the route sends: from providers where its
   * owner holds a credential the gateway would call (not one the provider refused), narrowed by
   * the key's allowed models.
   */
  async availableJson(key: VerifiedKey): Promise<string> {
    const providers = await this.credentials.usableProviders(key.userId);
    const signature = `${providers.join(',')}|${key.allowedModels.join(',')}`;
    let json = this.serialized.get(signature);
    if (json === undefined) {
      json = JSON.stringify(listFor(providers, key.allowedModels));
      this.serialized.set(signature, json);
    }
    return json;
  }
}

function listFor(providers: ProviderId[], allowedModels: string[]): ModelList {
  const data = providers.flatMap((provider) =>
    adapterFor(provider)
      .info.models.filter((model) => isModelAllowed(allowedModels, model.id))
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

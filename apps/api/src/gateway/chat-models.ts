import { PROVIDER_IDS, type ProviderId, type ProviderModel } from '@keyward/shared';
import { AppException, invalidField } from '../common/app.exception.js';
import type { ChatEndpoint, ProviderAdapter } from '../providers/adapters/provider-adapter.js';
import { adapterFor } from '../providers/provider-catalogue.js';

/** A model the gateway can send chat to, with everything needed to call and price it. */
export interface ChatModel {
  /** `provider/model`, as callers name it. */
  id: string;
  provider: ProviderId;
  /** The provider's own name for it. */
  upstreamName: string;
  info: ProviderModel;
  adapter: ProviderAdapter;
  endpoint: ChatEndpoint;
}

/**
 * Finds a catalogue model that can chat, or explains why the id cannot be used. `field` names
 * where the id was given, for the error: `model`, or `fallbacks.0` and on.
 */
export function resolveChatModel(id: string, field = 'model'): ChatModel {
  const slash = id.indexOf('/');
  const provider = PROVIDER_IDS.find((candidate) => candidate === id.slice(0, slash));
  if (slash < 0 || !provider) {
    throw new AppException(
      404,
      'model_not_found',
      `Unknown model "${id.slice(0, 200)}": model ids are provider/model, such as openai/gpt-4o-mini (GET /v1/models lists the ones this key can use)`,
    );
  }
  const adapter = adapterFor(provider);
  const info = adapter.info.models.find((model) => model.id === id);
  if (!info) {
    throw new AppException(
      404,
      'model_not_found',
      `Unknown model "${id.slice(0, 200)}" (GET /v1/models lists the ones this key can use)`,
    );
  }
  if (!adapter.chat || !info.capabilities.includes('chat')) {
    throw invalidField(field, `The model ${id} cannot chat`);
  }
  return {
    id,
    provider,
    upstreamName: id.slice(slash + 1),
    info,
    adapter,
    endpoint: adapter.chat,
  };
}

/** The model a provider stands in with when it is a fallback: its first chat model. */
export function defaultChatModel(provider: ProviderId): ChatModel | null {
  const model = adapterFor(provider).info.models.find((m) => m.capabilities.includes('chat'));
  return model && adapterFor(provider).chat ? resolveChatModel(model.id) : null;
}

/**
 * Prices are US dollars per million tokens, which is exactly micro-dollars per token, so the
 * cost in micro-dollars is a plain sum. It is rounded up: a request to a cheap model must not
 * cost nothing, or budgets could never be reached with it. (The epsilon absorbs float error on
 * sums that are whole numbers.)
 */
export function costMicros(
  model: ProviderModel,
  inputTokens: number,
  outputTokens: number,
): number {
  const exact =
    inputTokens * model.inputPricePerMillion + outputTokens * model.outputPricePerMillion;
  return Math.max(0, Math.ceil(exact - 1e-9));
}

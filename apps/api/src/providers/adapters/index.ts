import type { ProviderId } from '@keyward/shared';
import { anthropic } from './anthropic.adapter.js';
import { deepinfra } from './deepinfra.adapter.js';
import { mistral } from './mistral.adapter.js';
import { openai } from './openai.adapter.js';
import { perplexity } from './perplexity.adapter.js';
import type { ProviderAdapter } from './provider-adapter.js';
import { runway } from './runway.adapter.js';
import { together } from './together.adapter.js';

/** Every provider Keyward speaks to. The record type makes a missing adapter a compile error. */
export const PROVIDER_ADAPTERS: Record<ProviderId, ProviderAdapter> = {
  openai,
  anthropic,
  mistral,
  deepinfra,
  perplexity,
  runway,
  together,
};

import { classifyCommon, bearer, type ProviderAdapter } from './provider-adapter.js';

export const openai: ProviderAdapter = {
  info: {
    id: 'openai',
    name: 'OpenAI',
    capabilities: ['chat', 'embeddings', 'images'],
    models: [
      {
        id: 'openai/gpt-4o-mini',
        name: 'GPT-4o mini',
        capabilities: ['chat'],
        inputPricePerMillion: 0.15,
        outputPricePerMillion: 0.6,
      },
      {
        id: 'openai/gpt-4o',
        name: 'GPT-4o',
        capabilities: ['chat'],
        inputPricePerMillion: 2.5,
        outputPricePerMillion: 10,
      },
      {
        id: 'openai/gpt-4.1-mini',
        name: 'GPT-4.1 mini',
        capabilities: ['chat'],
        inputPricePerMillion: 0.4,
        outputPricePerMillion: 1.6,
      },
      {
        id: 'openai/text-embedding-3-small',
        name: 'Embedding 3 small',
        capabilities: ['embeddings'],
        inputPricePerMillion: 0.02,
        outputPricePerMillion: 0,
      },
    ],
    keyHint: {
      pattern: '^sk-[A-Za-z0-9_-]{20,}$',
      example: 'sk-proj-…',
      description: 'Starts with sk- (project keys with sk-proj-).',
    },
    docsUrl: 'https://platform.openai.com/api-keys',
  },
  defaultBaseUrl: 'https://api.openai.com',
  authHeaders: bearer,
  // Listing models is free and reads nothing of the account's data.
  verification: { method: 'GET', path: '/v1/models' },
  chat: { protocol: 'openai', path: '/v1/chat/completions' },
  // OpenAI answers an exhausted balance with 429 and code insufficient_quota.
  classify: classifyCommon,
};

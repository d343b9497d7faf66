import { bearer, classifyCommon, type ProviderAdapter } from './provider-adapter.js';

export const together: ProviderAdapter = {
  info: {
    id: 'together',
    name: 'Together AI',
    capabilities: ['chat', 'embeddings', 'images'],
    models: [
      {
        id: 'together/meta-llama/Llama-3.3-70B-Instruct-Turbo',
        name: 'Llama 3.3 70B Instruct Turbo',
        capabilities: ['chat'],
        inputPricePerMillion: 0.88,
        outputPricePerMillion: 0.88,
      },
      {
        id: 'together/Qwen/Qwen2.5-7B-Instruct-Turbo',
        name: 'Qwen 2.5 7B Instruct Turbo',
        capabilities: ['chat'],
        inputPricePerMillion: 0.3,
        outputPricePerMillion: 0.3,
      },
    ],
    keyHint: {
      pattern: '^[A-Za-z0-9]{40,}$',
      example: '64 hex characters',
      description: 'An API key from your Together settings.',
    },
    docsUrl: 'https://api.together.xyz/settings/api-keys',
  },
  defaultBaseUrl: 'https://api.together.xyz',
  authHeaders: bearer,
  verification: { method: 'GET', path: '/v1/models' },
  chat: { protocol: 'openai', path: '/v1/chat/completions' },
  classify: classifyCommon,
};

import { bearer, classifyCommon, type ProviderAdapter } from './provider-adapter.js';

export const mistral: ProviderAdapter = {
  info: {
    id: 'mistral',
    name: 'Mistral AI',
    capabilities: ['chat', 'embeddings'],
    models: [
      {
        id: 'mistral/mistral-small-latest',
        name: 'Mistral Small',
        capabilities: ['chat'],
        inputPricePerMillion: 0.1,
        outputPricePerMillion: 0.3,
      },
      {
        id: 'mistral/mistral-large-latest',
        name: 'Mistral Large',
        capabilities: ['chat'],
        inputPricePerMillion: 2,
        outputPricePerMillion: 6,
      },
      {
        id: 'mistral/mistral-embed',
        name: 'Mistral Embed',
        capabilities: ['embeddings'],
        inputPricePerMillion: 0.1,
        outputPricePerMillion: 0,
      },
    ],
    keyHint: {
      pattern: '^[A-Za-z0-9]{32}$',
      example: '32 letters and digits',
      description: 'A 32-character key from La Plateforme.',
    },
    docsUrl: 'https://console.mistral.ai/api-keys',
  },
  defaultBaseUrl: 'https://api.mistral.ai',
  authHeaders: bearer,
  verification: { method: 'GET', path: '/v1/models' },
  chat: { protocol: 'openai', path: '/v1/chat/completions' },
  classify: classifyCommon,
};

import { bearer, classifyCommon, type ProviderAdapter } from './provider-adapter.js';

export const deepinfra: ProviderAdapter = {
  info: {
    id: 'deepinfra',
    name: 'DeepInfra',
    capabilities: ['chat', 'embeddings', 'images'],
    models: [
      {
        id: 'deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct',
        name: 'Llama 3.1 8B Instruct',
        capabilities: ['chat'],
        inputPricePerMillion: 0.03,
        outputPricePerMillion: 0.05,
      },
      {
        id: 'deepinfra/meta-llama/Llama-3.3-70B-Instruct',
        name: 'Llama 3.3 70B Instruct',
        capabilities: ['chat'],
        inputPricePerMillion: 0.23,
        outputPricePerMillion: 0.4,
      },
    ],
    keyHint: {
      pattern: '^[A-Za-z0-9]{32}$',
      example: '32 letters and digits',
      description: 'An API token from your DeepInfra dashboard.',
    },
    docsUrl: 'https://deepinfra.com/dash/api_keys',
  },
  defaultBaseUrl: 'https://api.deepinfra.com',
  authHeaders: bearer,
  // DeepInfra's OpenAI-compatible surface lives under /v1/openai.
  verification: { method: 'GET', path: '/v1/openai/models' },
  chat: { protocol: 'openai', path: '/v1/openai/chat/completions' },
  classify: classifyCommon,
};

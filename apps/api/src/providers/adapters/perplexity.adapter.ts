import type { CredentialStatus } from '@keyward/shared';
import { bearer, classifyCommon, type ProviderAdapter } from './provider-adapter.js';

export const perplexity: ProviderAdapter = {
  info: {
    id: 'perplexity',
    name: 'Perplexity',
    capabilities: ['chat', 'search'],
    models: [
      {
        id: 'perplexity/sonar',
        name: 'Sonar',
        capabilities: ['chat', 'search'],
        inputPricePerMillion: 1,
        outputPricePerMillion: 1,
      },
      {
        id: 'perplexity/sonar-pro',
        name: 'Sonar Pro',
        capabilities: ['chat', 'search'],
        inputPricePerMillion: 3,
        outputPricePerMillion: 15,
      },
    ],
    keyHint: {
      pattern: '^pplx-[A-Za-z0-9]{20,}$',
      example: 'pplx-…',
      description: 'Starts with pplx-.',
    },
    docsUrl: 'https://www.perplexity.ai/settings/api',
  },
  defaultBaseUrl: 'https://api.perplexity.ai',
  authHeaders: bearer,
  // Perplexity has no free listing endpoint. An empty chat request is authenticated first and
  // then refused as invalid (400) without generating anything, so it costs nothing.
  verification: { method: 'POST', path: '/chat/completions', body: {} },
  chat: { protocol: 'openai', path: '/chat/completions' },
  classify: (httpStatus, body): CredentialStatus =>
    httpStatus === 400 || httpStatus === 422 ? 'valid' : classifyCommon(httpStatus, body),
};

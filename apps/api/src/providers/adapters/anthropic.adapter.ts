import type { CredentialStatus } from '@keyward/shared';
import { classifyCommon, errorText, type ProviderAdapter } from './provider-adapter.js';

export const ANTHROPIC_VERSION = '2023-06-01';

export const anthropic: ProviderAdapter = {
  info: {
    id: 'anthropic',
    name: 'Anthropic',
    capabilities: ['chat'],
    models: [
      {
        id: 'anthropic/claude-3-5-haiku-latest',
        name: 'Claude 3.5 Haiku',
        capabilities: ['chat'],
        inputPricePerMillion: 0.8,
        outputPricePerMillion: 4,
      },
      {
        id: 'anthropic/claude-sonnet-4-0',
        name: 'Claude Sonnet 4',
        capabilities: ['chat'],
        inputPricePerMillion: 3,
        outputPricePerMillion: 15,
      },
      {
        id: 'anthropic/claude-opus-4-0',
        name: 'Claude Opus 4',
        capabilities: ['chat'],
        inputPricePerMillion: 15,
        outputPricePerMillion: 75,
      },
    ],
    keyHint: {
      pattern: '^sk-ant-[A-Za-z0-9_-]{20,}$',
      example: 'sk-ant-api03-…',
      description: 'Starts with sk-ant-.',
    },
    docsUrl: 'https://console.anthropic.com/settings/keys',
  },
  defaultBaseUrl: 'https://api.anthropic.com',
  authHeaders: (apiKey) => ({ 'x-api-key': apiKey, 'anthropic-version': ANTHROPIC_VERSION }),
  verification: { method: 'GET', path: '/v1/models' },
  chat: { protocol: 'anthropic', path: '/v1/messages' },
  classify: (httpStatus, body): CredentialStatus => {
    // An exhausted balance is a 400 "credit balance is too low"; 529 means overloaded.
    if (httpStatus === 400 && /credit balance/i.test(errorText(body))) return 'insufficient_quota';
    return classifyCommon(httpStatus, body);
  },
};

import type { CredentialStatus } from '@keyward/shared';
import { classifyCommon, type ProviderAdapter } from './provider-adapter.js';

export const RUNWAY_VERSION = '2024-11-06';

export const runway: ProviderAdapter = {
  info: {
    id: 'runway',
    name: 'Runway',
    capabilities: ['video', 'images'],
    models: [
      // Runway bills video per second in credits, not per token.
      {
        id: 'runway/gen4_turbo',
        name: 'Gen-4 Turbo',
        capabilities: ['video'],
        inputPricePerMillion: 0,
        outputPricePerMillion: 0,
      },
      {
        id: 'runway/gen4_image',
        name: 'Gen-4 Image',
        capabilities: ['images'],
        inputPricePerMillion: 0,
        outputPricePerMillion: 0,
      },
    ],
    keyHint: {
      pattern: '^key_[A-Za-z0-9]{20,}$',
      example: 'key_…',
      description: 'A developer-portal key, starting with key_.',
    },
    docsUrl: 'https://dev.runwayml.com/',
  },
  defaultBaseUrl: 'https://api.dev.runwayml.com',
  authHeaders: (apiKey) => ({
    authorization: `Bearer ${apiKey}`,
    'x-runway-version': RUNWAY_VERSION,
  }),
  // The organization endpoint is read-only and reports the credit balance.
  verification: { method: 'GET', path: '/v1/organization' },
  classify: (httpStatus, body): CredentialStatus => {
    if (httpStatus === 200 && body && typeof body === 'object') {
      const balance = (body as { creditBalance?: unknown }).creditBalance;
      if (typeof balance === 'number' && balance <= 0) return 'insufficient_quota';
    }
    return classifyCommon(httpStatus, body);
  },
};

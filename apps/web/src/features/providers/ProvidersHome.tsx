import type { ReactElement } from 'react';
import { FeaturePlaceholder } from '../../components/Feedback';

const PLANNED = [
  'Add an OpenAI, Anthropic or other provider credential (pk_…), encrypted at rest',
  'Masked display: the secret is never sent back to the browser',
  'Connection test and last-used time per credential',
  'Which API keys may call through which provider',
];

export function ProvidersHome(): ReactElement {
  return (
    <FeaturePlaceholder
      title="Providers"
      description="Credentials for AI providers, kept encrypted in Keyward's vault."
      planned={PLANNED}
    />
  );
}

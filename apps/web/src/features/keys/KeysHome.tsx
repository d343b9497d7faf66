import type { ReactElement } from 'react';
import { FeaturePlaceholder } from '../../components/Feedback';

const PLANNED = [
  'Create a key, shown once in full and then only by its prefix (key_…)',
  'Scopes chosen from the catalogue, never more than your own',
  'Expiry, per-key rate limits and last-used time',
  'Rotate and revoke, with every change written to the audit log',
];

export function KeysHome(): ReactElement {
  return (
    <FeaturePlaceholder
      title="API Keys"
      description="Keys your own API accepts, each with scopes, an expiry and a rate limit."
      planned={PLANNED}
    />
  );
}

import type { ReactElement } from 'react';
import { FeaturePlaceholder } from '../../components/Feedback';

const PLANNED = [
  'Quick start: create a key and make the first request to /v1',
  'Authentication header format and error codes',
  'The full HTTP API reference (OpenAPI)',
  'Rate-limit headers and how to back off',
];

export function DocsHome(): ReactElement {
  return (
    <FeaturePlaceholder
      title="Docs"
      description="How to call your API with a Keyward key, and how to proxy AI providers."
      planned={PLANNED}
    />
  );
}

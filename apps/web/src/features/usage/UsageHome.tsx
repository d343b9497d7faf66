import type { ReactElement } from 'react';
import { FeaturePlaceholder } from '../../components/Feedback';

const PLANNED = [
  'Requests, errors and latency over time, per key and per provider',
  'Token counts and estimated cost for provider calls',
  'Limits and alerts before a key runs away with the budget',
  'CSV export of the raw usage records',
];

export function UsageHome(): ReactElement {
  return (
    <FeaturePlaceholder
      title="Usage"
      description="Requests and spend per key and per provider, with limits you can set."
      planned={PLANNED}
    />
  );
}

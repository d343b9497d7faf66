import type { ReactElement } from 'react';
import { FeaturePlaceholder } from '../../components/Feedback';

const PLANNED = [
  'Key creation, rotation and revocation, with the actor and source IP',
  'Provider credential changes (never the secret itself)',
  'Sign-ins, sign-outs and admin actions on users',
  'Filters by actor, action and date range',
];

export function AuditHome(): ReactElement {
  return (
    <FeaturePlaceholder
      title="Audit log"
      description="Who changed what, and when: an append-only record of every change."
      planned={PLANNED}
    />
  );
}

import type { ReactElement } from 'react';
import { FeaturePlaceholder } from '../../components/Feedback';

const PLANNED = [
  'Profile: name and email',
  'Change password',
  'Active sessions, with sign-out everywhere',
  'Instance settings for admins, such as open registration',
];

export function SettingsHome(): ReactElement {
  return (
    <FeaturePlaceholder
      title="Settings"
      description="Your profile, password and sessions."
      planned={PLANNED}
    />
  );
}

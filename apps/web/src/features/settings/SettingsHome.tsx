import type { ReactElement } from 'react';
import { PageHeader } from '../../components/Feedback';
import { PlanSettingsCard } from '../plans/PlanSettingsCard';
import { WebhookCard } from '../webhooks/WebhookCard';
import { PasswordForm } from './PasswordForm';
import { ProfileForm } from './ProfileForm';
import './settings.css';

export function SettingsHome(): ReactElement {
  return (
    <>
      <PageHeader
        title="Settings"
        description="Your profile, how you sign in, where notifications go and your plan."
      />
      <div className="settings">
        <ProfileForm />
        <PasswordForm />
        <WebhookCard />
        <PlanSettingsCard />
      </div>
    </>
  );
}

import type { ReactElement } from 'react';
import { PageHeader } from '../../components/Feedback';
import { PasswordForm } from './PasswordForm';
import { ProfileForm } from './ProfileForm';
import './settings.css';

export function SettingsHome(): ReactElement {
  return (
    <>
      <PageHeader title="Settings" description="Your profile and how you sign in." />
      <div className="settings">
        <ProfileForm />
        <PasswordForm />
      </div>
    </>
  );
}

import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { SettingsHome } from '../features/settings/SettingsHome';

export default function SettingsPage(): ReactElement {
  useDocumentTitle('Settings');
  return <SettingsHome />;
}

import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { AdminPlans } from '../features/admin/AdminPlans';
import { AdminTabs } from '../features/admin/AdminTabs';
import { AdminUpgradeRequests } from '../features/admin/AdminUpgradeRequests';
import { AdminUsers } from '../features/admin/AdminUsers';
import '../features/admin/admin.css';

export type AdminSection = 'users' | 'plans' | 'upgrade-requests';

const TITLES: Record<AdminSection, string> = {
  users: 'Admin · Users',
  plans: 'Admin · Plans',
  'upgrade-requests': 'Admin · Upgrade requests',
};

export default function AdminPage({ section }: { section: AdminSection }): ReactElement {
  useDocumentTitle(TITLES[section]);
  return (
    <>
      <AdminTabs />
      {section === 'users' && <AdminUsers />}
      {section === 'plans' && <AdminPlans />}
      {section === 'upgrade-requests' && <AdminUpgradeRequests />}
    </>
  );
}

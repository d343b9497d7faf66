import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { AdminUsers } from '../features/admin/AdminUsers';

export default function AdminPage(): ReactElement {
  useDocumentTitle('Admin');
  return <AdminUsers />;
}

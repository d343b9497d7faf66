import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { AuditHome } from '../features/audit/AuditHome';

export default function AuditPage(): ReactElement {
  useDocumentTitle('Audit log');
  return <AuditHome />;
}

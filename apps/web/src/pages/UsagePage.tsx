import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { UsageHome } from '../features/usage/UsageHome';

export default function UsagePage(): ReactElement {
  useDocumentTitle('Usage');
  return <UsageHome />;
}

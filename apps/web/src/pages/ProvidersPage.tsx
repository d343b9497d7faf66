import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { ProvidersHome } from '../features/providers/ProvidersHome';

export default function ProvidersPage(): ReactElement {
  useDocumentTitle('Providers');
  return <ProvidersHome />;
}

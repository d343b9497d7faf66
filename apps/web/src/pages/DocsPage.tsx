import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { DocsHome } from '../features/docs/DocsHome';

export default function DocsPage(): ReactElement {
  useDocumentTitle('Docs');
  return <DocsHome />;
}

import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { KeysHome } from '../features/keys/KeysHome';

export default function KeysPage(): ReactElement {
  useDocumentTitle('API Keys');
  return <KeysHome />;
}

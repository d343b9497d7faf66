import type { ReactElement } from 'react';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { Overview } from '../features/overview/Overview';

export default function OverviewPage(): ReactElement {
  useDocumentTitle('Overview');
  return <Overview />;
}

import type { ReactElement } from 'react';
import { Link } from 'react-router';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { PageHeader } from '../components/Feedback';

export default function NotFoundPage(): ReactElement {
  useDocumentTitle('Not found');
  return (
    <PageHeader
      title="Page not found"
      description={
        <>
          Nothing lives at this address. <Link to="/">Back to the overview</Link>
        </>
      }
    />
  );
}

import type { ReactElement } from 'react';
import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { Alert } from '../components/Feedback';

function describe(error: unknown): { title: string; detail: string } {
  if (isRouteErrorResponse(error)) {
    return {
      title: `${error.status} ${error.statusText}`,
      detail: 'This page could not be shown.',
    };
  }
  // After a new deploy the old page chunks are gone: a reload fetches the new ones.
  const chunkGone = /dynamically imported module|importing a module script failed/i;
  if (error instanceof TypeError && chunkGone.test(error.message)) {
    return {
      title: 'Keyward was updated',
      detail: 'A newer version of the console is available. Reload the page to continue.',
    };
  }
  return {
    title: 'Something went wrong',
    detail: error instanceof Error ? error.message : 'An unexpected error stopped this page.',
  };
}

/** Shown instead of React Router's developer error page when a route fails to load or render. */
export function RouteError(): ReactElement {
  const { title, detail } = describe(useRouteError());
  return (
    <div className="full-page-loader">
      <div className="route-error">
        <Alert title={title}>{detail}</Alert>
        <div className="route-error__actions">
          <button
            type="button"
            className="button button--primary"
            onClick={() => {
              window.location.reload();
            }}
          >
            Reload
          </button>
          <Link className="button button--secondary" to="/">
            Go to the overview
          </Link>
        </div>
      </div>
    </div>
  );
}

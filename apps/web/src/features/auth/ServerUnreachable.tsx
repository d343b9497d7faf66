import type { ReactElement } from 'react';
import { retrySessionRestore } from '../../api/client';
import { Alert } from '../../components/Feedback';

/**
 * Shown instead of a signed-in page when, on load, the server could not say whether the session
 * is still valid. Nothing is signed out: trying again restores the session once it answers.
 */
export function ServerUnreachable({ message }: { message: string }): ReactElement {
  return (
    <div className="full-page-loader" data-testid="server-unreachable">
      <div className="card">
        <Alert title="Keyward is not answering">
          {message} Nothing was signed out: try again in a moment.
        </Alert>
        <button type="button" className="button button--primary" onClick={retrySessionRestore}>
          Try again
        </button>
      </div>
    </div>
  );
}

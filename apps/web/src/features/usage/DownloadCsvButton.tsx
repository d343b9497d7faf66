import { useState, type ReactElement } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { periodBounds } from './usage-format';

/**
 * Fetches the export with the session's Authorization header and saves it from a blob URL: a
 * plain link to the CSV would need the token in its query string.
 */
export function DownloadCsvButton({
  days,
  keyId,
}: {
  days: number;
  keyId: string | undefined;
}): ReactElement {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });

  async function download(): Promise<void> {
    setState({ busy: true, error: null });
    try {
      const { blob, filename } = await api.usage.exportCsv({ ...periodBounds(days), keyId });
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = filename ?? `keyward-usage-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      // The click has handed the blob to the download manager; free it on the next tick.
      setTimeout(() => {
        URL.revokeObjectURL(url);
      }, 0);
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: errorMessage(error) });
    }
  }

  return (
    <div className="csv-download">
      <button
        type="button"
        className="button button--secondary"
        disabled={state.busy}
        onClick={() => void download()}
      >
        {state.busy ? 'Preparing CSV…' : 'Download CSV'}
      </button>
      {state.error && (
        <p className="cell-error" role="alert">
          {state.error}
        </p>
      )}
    </div>
  );
}

import type { ApiKeyResponse } from '@keyward/shared';
import { useState, type ReactElement } from 'react';
import { formatCount } from '../../app/format';
import { errorMessage } from '../../api/messages';
import { BarChart } from '../../components/BarChart';
import { Dialog, DialogActions } from '../../components/Dialog';
import { Alert, Spinner } from '../../components/Feedback';
import { useKeyUsage } from '../usage/hooks';
import { dailyBars, formatMicros, formatRate } from '../usage/usage-format';

const PERIODS = [7, 30, 90] as const;

/** One key's requests per day, from GET /api/api-keys/:id/usage. */
export function KeyUsageDialog({
  apiKey,
  onClose,
}: {
  apiKey: ApiKeyResponse;
  onClose: () => void;
}): ReactElement {
  const [days, setDays] = useState<number>(30);
  const usage = useKeyUsage(apiKey.id, days);
  const totals = usage.data?.totals;

  return (
    <Dialog
      title={`Usage of ${apiKey.name}`}
      description={<code className="key-mask">{apiKey.maskedKey}</code>}
      onClose={onClose}
      size="large"
    >
      <div className="segmented" role="group" aria-label="Period">
        {PERIODS.map((period) => (
          <button
            key={period}
            type="button"
            className="segmented__option"
            aria-pressed={days === period}
            data-autofocus={period === days ? true : undefined}
            onClick={() => {
              setDays(period);
            }}
          >
            {period} days
          </button>
        ))}
      </div>
      {usage.isPending && <Spinner label="Loading usage…" />}
      {usage.isError && <Alert title="Could not load usage">{errorMessage(usage.error)}</Alert>}
      {totals && usage.data && (
        <>
          <dl className="stats key-usage__stats">
            <div className="stats__item">
              <dt>Requests</dt>
              <dd data-testid="key-usage-requests">{formatCount(totals.requests)}</dd>
            </div>
            <div className="stats__item">
              <dt>Success rate</dt>
              <dd>{totals.requests === 0 ? '—' : formatRate(totals.successRate)}</dd>
            </div>
            <div className="stats__item">
              <dt>Tokens</dt>
              <dd>{formatCount(totals.inputTokens + totals.outputTokens)}</dd>
            </div>
            <div className="stats__item">
              <dt>Cost</dt>
              <dd>{formatMicros(totals.costMicros)}</dd>
            </div>
          </dl>
          <BarChart
            title={`Requests per day, last ${days} days`}
            data={dailyBars(usage.data.points)}
            emptyText="This key made no requests in this period."
          />
        </>
      )}
      <DialogActions>
        <button type="button" className="button button--secondary" onClick={onClose}>
          Close
        </button>
      </DialogActions>
    </Dialog>
  );
}

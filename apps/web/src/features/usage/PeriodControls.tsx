import type { ApiKeyResponse } from '@keyward/shared';
import { useId, type ReactElement } from 'react';

export const MIN_DAYS = 7;
export const MAX_DAYS = 90;

interface PeriodControlsProps {
  keys: readonly ApiKeyResponse[];
  keyId: string;
  onKey: (keyId: string) => void;
  days: number;
  onDays: (days: number) => void;
}

/** Which key ('' for every key) and how many days back the whole page looks. */
export function PeriodControls({
  keys,
  keyId,
  onKey,
  days,
  onDays,
}: PeriodControlsProps): ReactElement {
  const id = useId();
  return (
    <div className="usage-controls card">
      <div className="usage-control">
        <label className="usage-filter__label" htmlFor={`${id}-key`}>
          API key
        </label>
        <select
          id={`${id}-key`}
          className="select"
          value={keyId}
          onChange={(event) => {
            onKey(event.target.value);
          }}
        >
          <option value="">All keys</option>
          {keys.map((key) => (
            <option key={key.id} value={key.id}>
              {key.name}
              {key.status === 'active' ? '' : ` (${key.status})`}
            </option>
          ))}
        </select>
      </div>
      <div className="usage-control usage-control--period">
        <label className="usage-filter__label" htmlFor={`${id}-days`}>
          Period: <strong>last {days} days</strong>
        </label>
        <input
          id={`${id}-days`}
          type="range"
          className="range"
          min={MIN_DAYS}
          max={MAX_DAYS}
          step={1}
          value={days}
          aria-valuetext={`${days} days`}
          onChange={(event) => {
            onDays(Number(event.target.value));
          }}
        />
        <div className="range__scale" aria-hidden="true">
          <span>{MIN_DAYS} days</span>
          <span>{MAX_DAYS} days</span>
        </div>
      </div>
    </div>
  );
}

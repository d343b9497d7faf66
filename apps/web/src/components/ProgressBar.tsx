import type { ReactElement } from 'react';
import './charts.css';

interface ProgressBarProps {
  label: string;
  /** 0..100 (values above 100 show full and in the danger colour); null means unlimited. */
  percent: number | null;
  /** "812 of 1,000 requests". */
  valueText: string;
}

/** A labelled meter: amber from 80 %, red at the limit. */
export function ProgressBar({ label, percent, valueText }: ProgressBarProps): ReactElement {
  const tone =
    percent === null ? 'none' : percent >= 100 ? 'danger' : percent >= 80 ? 'warning' : 'ok';
  const shown = percent === null ? 0 : Math.min(100, Math.max(0, percent));
  return (
    <div className="meter" data-testid="meter" data-label={label}>
      <div className="meter__text">
        <span className="meter__label">{label}</span>
        <span className="meter__value">
          {valueText}
          {percent !== null && <strong className="meter__percent"> {percent}%</strong>}
        </span>
      </div>
      <div
        className={`meter__track meter__track--${tone}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent === null ? undefined : shown}
        aria-valuetext={percent === null ? `${valueText}, unlimited` : `${percent}%, ${valueText}`}
      >
        <span className="meter__fill" style={{ width: `${shown}%` }} />
      </div>
    </div>
  );
}

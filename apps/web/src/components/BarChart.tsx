import { useId, useState, type ReactElement } from 'react';
import './charts.css';

export interface BarDatum {
  label: string;
  value: number;
  /** What a screen reader and the tooltip say for the value, e.g. "1,204 requests". */
  valueText: string;
}

interface BarChartProps {
  title: string;
  data: readonly BarDatum[];
  /** Vertical bars over time (daily) or horizontal bars for a ranking (endpoints, models). */
  orientation?: 'vertical' | 'horizontal';
  emptyText: string;
}

const VERTICAL = { width: 640, height: 180, gap: 2 } as const;

/**
 * A dependency-free SVG bar chart. The SVG is labelled as one image for screen readers; the same
 * numbers sit in a table that a "Show as table" toggle reveals, so nothing is only visual.
 */
export function BarChart({
  title,
  data,
  orientation = 'vertical',
  emptyText,
}: BarChartProps): ReactElement {
  const [asTable, setAsTable] = useState(false);
  const titleId = useId();
  const max = Math.max(1, ...data.map((datum) => datum.value));
  const total = data.reduce((sum, datum) => sum + datum.value, 0);

  return (
    <figure className="chart" aria-labelledby={titleId}>
      <figcaption className="chart__header">
        <span id={titleId} className="chart__title">
          {title}
        </span>
        {total > 0 && (
          <button
            type="button"
            className="button button--ghost button--small"
            aria-pressed={asTable}
            onClick={() => {
              setAsTable(!asTable);
            }}
          >
            {asTable ? 'Show chart' : 'Show as table'}
          </button>
        )}
      </figcaption>
      {data.length === 0 || total === 0 ? (
        <p className="chart__empty">{emptyText}</p>
      ) : asTable ? (
        <div className="table-wrap">
          <table className="table table--compact">
            <caption className="visually-hidden">{title}</caption>
            <tbody>
              {data.map((datum) => (
                <tr key={datum.label}>
                  <th scope="row">{datum.label}</th>
                  <td className="cell-number">{datum.valueText}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : orientation === 'vertical' ? (
        <VerticalBars title={title} data={data} max={max} />
      ) : (
        <HorizontalBars data={data} max={max} />
      )}
    </figure>
  );
}

function VerticalBars({
  title,
  data,
  max,
}: {
  title: string;
  data: readonly BarDatum[];
  max: number;
}): ReactElement {
  const slot = VERTICAL.width / data.length;
  const barWidth = Math.max(1, slot - VERTICAL.gap);
  const first = data[0];
  const last = data[data.length - 1];
  return (
    <>
      <svg
        className="chart__svg"
        viewBox={`0 0 ${VERTICAL.width} ${VERTICAL.height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${title}: ${data.length} bars, highest ${data.find((d) => d.value === max)?.valueText ?? ''}`}
      >
        <line
          x1="0"
          x2={VERTICAL.width}
          y1={VERTICAL.height - 0.5}
          y2={VERTICAL.height - 0.5}
          className="chart__axis"
        />
        {data.map((datum, index) => {
          const height = (datum.value / max) * (VERTICAL.height - 8);
          return (
            <rect
              key={datum.label}
              className="chart__bar"
              x={index * slot}
              y={VERTICAL.height - height}
              width={barWidth}
              height={Math.max(height, datum.value > 0 ? 2 : 0)}
              rx="2"
            >
              <title>{`${datum.label}: ${datum.valueText}`}</title>
            </rect>
          );
        })}
      </svg>
      <div className="chart__scale" aria-hidden="true">
        <span>{first?.label}</span>
        <span>{last?.label}</span>
      </div>
    </>
  );
}

function HorizontalBars({ data, max }: { data: readonly BarDatum[]; max: number }): ReactElement {
  // Plain elements rather than SVG: the labels wrap at 375 px, and each row reads on its own.
  return (
    <ul className="hbars">
      {data.map((datum) => (
        <li key={datum.label} className="hbars__row">
          <span className="hbars__label mono" title={datum.label}>
            {datum.label}
          </span>
          <span className="hbars__track" aria-hidden="true">
            <span
              className="hbars__bar"
              style={{ width: `${Math.max(2, (datum.value / max) * 100)}%` }}
            />
          </span>
          <span className="hbars__value">{datum.valueText}</span>
        </li>
      ))}
    </ul>
  );
}

import type { DependencyState } from '@keyward/shared';
import type { ReactElement } from 'react';
import { errorMessage } from '../../api/messages';
import { Alert, Spinner } from '../../components/Feedback';
import { useHealth } from './hooks';

const DEPENDENCY_TONE: Record<DependencyState, string> = {
  up: 'badge--success',
  down: 'badge--danger',
  disabled: 'badge--neutral',
};

function formatUptime(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  return `${minutes}m ${Math.floor(seconds % 60)}s`;
}

export function HealthCard(): ReactElement {
  const health = useHealth();
  // After a failed check the last good report is stale: "Operational" beside "failed" misleads.
  const report = health.isError ? undefined : health.data;
  return (
    <section className="card" aria-labelledby="health-heading">
      <div className="card__header">
        <h2 id="health-heading" className="card__title">
          API health
        </h2>
        {report && (
          <span
            className={`badge ${report.status === 'ok' ? 'badge--success' : 'badge--warning'}`}
            data-testid="health-status"
          >
            {report.status === 'ok' ? 'Operational' : 'Degraded'}
          </span>
        )}
      </div>
      {health.isPending && <Spinner label="Checking the API…" />}
      {health.isError && <Alert title="Health check failed">{errorMessage(health.error)}</Alert>}
      {report && (
        <dl className="stats">
          <div className="stats__item">
            <dt>Database</dt>
            <dd>
              <span className={`badge ${DEPENDENCY_TONE[report.database]}`}>{report.database}</span>
            </dd>
          </div>
          <div className="stats__item">
            <dt>Redis</dt>
            <dd>
              <span className={`badge ${DEPENDENCY_TONE[report.redis]}`}>{report.redis}</span>
            </dd>
          </div>
          <div className="stats__item">
            <dt>Version</dt>
            <dd className="mono">{report.version}</dd>
          </div>
          <div className="stats__item">
            <dt>Uptime</dt>
            <dd>{formatUptime(report.uptimeSeconds)}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}

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
  return (
    <section className="card" aria-labelledby="health-heading">
      <div className="card__header">
        <h2 id="health-heading" className="card__title">
          API health
        </h2>
        {health.data && (
          <span
            className={`badge ${health.data.status === 'ok' ? 'badge--success' : 'badge--warning'}`}
            data-testid="health-status"
          >
            {health.data.status === 'ok' ? 'Operational' : 'Degraded'}
          </span>
        )}
      </div>
      {health.isPending && <Spinner label="Checking the API…" />}
      {health.isError && <Alert title="Health check failed">{errorMessage(health.error)}</Alert>}
      {health.data && (
        <dl className="stats">
          <div className="stats__item">
            <dt>Database</dt>
            <dd>
              <span className={`badge ${DEPENDENCY_TONE[health.data.database]}`}>
                {health.data.database}
              </span>
            </dd>
          </div>
          <div className="stats__item">
            <dt>Redis</dt>
            <dd>
              <span className={`badge ${DEPENDENCY_TONE[health.data.redis]}`}>
                {health.data.redis}
              </span>
            </dd>
          </div>
          <div className="stats__item">
            <dt>Version</dt>
            <dd className="mono">{health.data.version}</dd>
          </div>
          <div className="stats__item">
            <dt>Uptime</dt>
            <dd>{formatUptime(health.data.uptimeSeconds)}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}

export type DependencyState = 'up' | 'down' | 'disabled';

export interface HealthResponse {
  status: 'ok' | 'degraded';
  database: DependencyState;
  redis: DependencyState;
  version: string;
  uptimeSeconds: number;
}

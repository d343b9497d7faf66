import { describe, expect, it } from '@jest/globals';
import { screen } from '@testing-library/react';
import { mockFetch, renderWithQueries } from '../../test/render';
import { HealthCard } from './HealthCard';

describe('HealthCard', () => {
  it('shows a 503 health report as degraded, with what is down', async () => {
    mockFetch({
      'GET /api/health': {
        status: 503,
        body: {
          status: 'degraded',
          database: 'down',
          redis: 'up',
          version: '0.1.0',
          uptimeSeconds: 90,
        },
      },
    });
    renderWithQueries(<HealthCard />);
    expect((await screen.findByTestId('health-status')).textContent).toBe('Degraded');
    expect(screen.getByText('down')).toBeTruthy();
    expect(screen.queryByText('Health check failed')).toBeNull();
  });

  it('reports a failure when the answer is not a health report', async () => {
    mockFetch({ 'GET /api/health': { status: 502, body: { error: 'bad gateway' } } });
    renderWithQueries(<HealthCard />);
    await screen.findByText('Health check failed');
    expect(screen.queryByTestId('health-status')).toBeNull();
  });
});

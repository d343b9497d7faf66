import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service.js';
import { PlansService } from './plans.service.js';

const FREE = {
  id: 'free',
  name: 'Free',
  monthly_request_limit: '1000',
  monthly_cost_limit_micros: null,
  sort_order: 0,
};

/** A PlansService over a database that answers until `down` is set. */
function plansOver() {
  const database = { down: false, reads: 0 };
  const dataSource = {
    query: () => {
      database.reads += 1;
      return database.down
        ? Promise.reject(new Error('Connection terminated unexpectedly'))
        : Promise.resolve([FREE]);
    },
  } as unknown as DataSource;
  const service = new PlansService(dataSource, {} as AuditService);
  /** Ages the cached catalogue past its lifetime. */
  const expire = () => {
    const cached = (service as unknown as { cache?: { loadedAt: number } }).cache;
    if (cached) cached.loadedAt = 0;
  };
  return { service, database, expire };
}

describe('PlansService while the database is away', () => {
  it('keeps serving the last catalogue read, trying the database again only now and then', async () => {
    const { service, database, expire } = plansOver();
    expect((await service.get('free')).monthlyRequestLimit).toBe(1000);
    database.down = true;
    expire();
    expect((await service.get('free')).name).toBe('Free');
    const reads = database.reads;
    expect((await service.get('free')).name).toBe('Free');
    expect(database.reads).toBe(reads); // not one failing read per request
    database.down = false;
    expire();
    await service.get('free');
    expect(database.reads).toBe(reads + 1);
  });

  it('fails when it never read the catalogue', async () => {
    const { service, database } = plansOver();
    database.down = true;
    await expect(service.get('free')).rejects.toThrow('Connection terminated');
  });
});

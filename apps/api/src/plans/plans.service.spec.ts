import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service.js';
import type { AppConfig } from '../config/app-config.js';
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
  const database = { down: false, reads: 0, rows: [FREE] };
  const dataSource = {
    query: () => {
      database.reads += 1;
      return database.down
        ? Promise.reject(new Error('Connection terminated unexpectedly'))
        : Promise.resolve(database.rows);
    },
  } as unknown as DataSource;
  const service = new PlansService(
    { redisKeyPrefix: 'test:' } as AppConfig,
    null,
    dataSource,
    {} as AuditService,
  );
  /** Ages the cached catalogue by `ms` (past its lifetime and any hold by default). */
  const expire = (ms = Infinity) => {
    const cached = (service as unknown as { cache?: { loadedAt: number; heldUntil: number } })
      .cache;
    if (!cached) return;
    cached.loadedAt -= ms;
    cached.heldUntil -= ms;
  };
  /** Moves the last read (or attempt) `ms` into the past. */
  const readAgo = (ms: number) => {
    const state = service as unknown as { lastReadAt: number };
    state.lastReadAt -= ms;
  };
  return { service, database, expire, readAgo };
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

describe('PlansService with a plan created elsewhere', () => {
  it('reads the catalogue again for a plan id it does not know, at most once a second', async () => {
    const { service, database, readAgo } = plansOver();
    await service.get('free');
    // Another replica creates a plan and moves a user to it; its news did not arrive here.
    database.rows = [FREE, { ...FREE, id: 'team', name: 'Team' }];
    readAgo(1_500);
    expect((await service.get('team')).name).toBe('Team');
    expect(database.reads).toBe(2);
    // A plan that does not exist: one more read, then none for a second.
    readAgo(1_500);
    await expect(service.get('missing')).rejects.toMatchObject({ code: 'not_found' });
    expect(database.reads).toBe(3);
    await expect(service.get('missing')).rejects.toMatchObject({ code: 'not_found' });
    expect(database.reads).toBe(3);
  });
});

describe('PlansService asked for unknown plans while the database is away', () => {
  it('tries one read a second at most, and keeps serving known plans meanwhile', async () => {
    const { service, database, readAgo } = plansOver();
    await service.get('free');
    database.down = true;
    readAgo(1_500);
    const reads = database.reads;
    // Unknown ids (a made-up plan in an upgrade request): one failed read, then none.
    for (let i = 0; i < 5; i++) {
      await expect(service.get('made-up')).rejects.toMatchObject({ code: 'not_found' });
    }
    expect(database.reads).toBe(reads + 1);
    // The catalogue in hand still answers, without a read.
    expect((await service.get('free')).name).toBe('Free');
    expect(database.reads).toBe(reads + 1);
  });
});

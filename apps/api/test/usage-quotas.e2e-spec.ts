import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type ErrorBody,
  type KeyUsageResponse,
  type NotificationResponse,
  type Page,
  type PlanResponse,
  type UsageEventResponse,
  type UpgradeRequestResponse,
  type UsageSummaryResponse,
} from '@keyward/shared';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startApi, type ApiProcess } from './support/api-process.js';
import { lockWaiters, queryDatabase, usesEmbeddedDatabase } from './support/database.js';
import { expectedReply, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.js';
import {
  eventually,
  gatewayUser,
  moveToNewPlan,
  moveToPlan,
  type GatewayUser,
} from './support/gateway.js';
import { auditEvents, call, type SignedIn, signIn } from './support/http.js';
import { createKey, withKey } from './support/keys.js';
import { startDatabaseProxy } from './support/tcp-proxy.js';
import { AUDIT_CHAIN_LOCK } from '../src/audit/audit.service.js';

/** gpt-4o-mini's catalogue prices, in micro-dollars per token. */
const PRICE = { input: 0.15, output: 0.6 };
/** Rounded up to whole micro-dollars per request, as the gateway charges. */
const costOf = (input: number, output: number): number =>
  Math.ceil(input * PRICE.input + output * PRICE.output - 1e-9);

const prompt = (words: number): string =>
  Array.from({ length: words }, (_, index) => `w${index}`).join(' ');

describe('usage, plans and quotas', () => {
  let upstream: FakeUpstream;
  let api: ApiProcess;
  let admin: SignedIn;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    api = await startApi({
      env: {
        ...upstream.envFor(),
        USAGE_FLUSH_INTERVAL_MS: '100',
        // Every test signs up users of its own, well past the default 20 a minute.
        LOGIN_MAX_PER_IP_PER_MINUTE: '1000',
      },
    });
    admin = await signIn(api.url, 'admin@keyward.test', 'admin-password-for-tests');
  });
  afterAll(async () => {
    await api.stop();
    await upstream.stop();
  });

  const chat = (key: string, body: Record<string, unknown>) =>
    call<Record<string, unknown> & ErrorBody>(api.url, 'POST', '/v1/chat/completions', {
      headers: withKey(key),
      body,
    });
  const ask = (key: string, words: number, extra: Record<string, unknown> = {}) =>
    chat(key, {
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: prompt(words) }],
      ...extra,
    });
  const summary = (user: SignedIn) =>
    call<UsageSummaryResponse>(api.url, 'GET', '/api/usage/summary?days=7', {
      token: user.accessToken,
    });
  const sentFor = (user: GatewayUser): number =>
    upstream.requests.filter(
      (r) => r.headers.authorization === `Bearer ${user.providerKeys.openai}`,
    ).length;
  const planFor = (user: SignedIn, limits: Record<string, number | null>) =>
    moveToNewPlan(api, admin.accessToken, user.userId, limits);

  it('counts every guarded request once, with exact tokens and cost', async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    const sizes = [3, 8, 13, 21];
    let tokensIn = 0;
    let tokensOut = 0;
    let cost = 0;
    for (const [index, words] of sizes.entries()) {
      const stream = index % 2 === 1;
      const answer = stream
        ? await fetch(`${api.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { ...withKey(user.key), 'content-type': 'application/json' },
            body: JSON.stringify({
              model: 'openai/gpt-4o-mini',
              messages: [{ role: 'user', content: prompt(words) }],
              stream: true,
            }),
          }).then((response) => response.text())
        : (await ask(user.key, words)).status;
      expect(answer).toBeTruthy();
      const expected = expectedReply({ messages: [{ role: 'user', content: prompt(words) }] });
      tokensIn += expected.promptTokens;
      tokensOut += expected.completionTokens;
      cost += costOf(expected.promptTokens, expected.completionTokens);
    }
    const refused = await chat(user.key, { model: 'openai/gpt-4o-mini', messages: [] });
    expect(refused.status).toBe(400);
    const models = await call(api.url, 'GET', '/v1/models', { headers: withKey(user.key) });
    expect(models.status).toBe(200);

    const result = await eventually(
      () => summary(user),
      (r) => r.body.totals.requests === sizes.length + 2,
    );
    expect(result.body.totals).toMatchObject({
      requests: sizes.length + 2,
      successes: sizes.length + 1,
      inputTokens: tokensIn,
      outputTokens: tokensOut,
      costMicros: cost,
    });
    expect(result.body.month.requests.used).toBe(sizes.length);
    expect(result.body.month.costMicros.used).toBe(cost);

    const events = await call<Page<UsageEventResponse>>(
      api.url,
      'GET',
      '/api/usage/events?pageSize=20&sort=time&order=asc',
      { token: user.accessToken },
    );
    expect(events.body.items.map((e) => [e.route, e.status, e.errorCode])).toEqual([
      ...sizes.map(() => ['POST /v1/chat/completions', 200, null]),
      ['POST /v1/chat/completions', 400, 'validation_failed'],
      ['GET /v1/models', 200, null],
    ]);
    const first = events.body.items[0];
    expect(first).toMatchObject({
      keyId: user.keyId,
      provider: 'openai',
      model: 'openai/gpt-4o-mini',
      success: true,
      attempts: [{ provider: 'openai', model: 'openai/gpt-4o-mini', status: 200, errorCode: null }],
    });
    expect(first?.latencyMs).toBeGreaterThanOrEqual(0);

    const own = await call<KeyUsageResponse>(api.url, 'GET', '/v1/usage', {
      headers: withKey(user.key),
    });
    expect(own.status).toBe(200);
    expect(own.body.key).toMatchObject({
      requests: sizes.length + 2,
      inputTokens: tokensIn,
      outputTokens: tokensOut,
      costMicros: cost,
      budget: { limit: null, percent: null },
    });
    expect(own.body.plan).toMatchObject({
      planId: 'free',
      requests: { used: sizes.length, limit: 1000 },
    });
  });

  it('refuses requests over the plan limit with 429 quota_exceeded, sending nothing upstream', async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    await planFor(user, { monthlyRequestLimit: 3 });
    for (let i = 0; i < 3; i++) expect((await ask(user.key, 2)).status).toBe(200);
    const refused = await ask(user.key, 2);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('quota_exceeded');
    const nextMonth = new Date();
    nextMonth.setUTCDate(1);
    nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1);
    expect(refused.body.details).toMatchObject({
      limit: 3,
      used: 3,
      resetsAt: `${nextMonth.toISOString().slice(0, 10)}T00:00:00.000Z`,
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(sentFor(user)).toBe(3);
    // Other keys of the same owner share the plan's limit.
    const second = await createKey(api.url, user.accessToken);
    expect((await ask(second.key, 2)).status).toBe(429);

    // Alerts at 50, 80 and 100%, each once, however many requests are refused after.
    await ask(user.key, 2);
    const alerts = await eventually(
      () =>
        call<Page<NotificationResponse>>(api.url, 'GET', '/api/notifications?pageSize=50', {
          token: user.accessToken,
        }),
      (r) => r.body.items.filter((n) => n.kind === 'quota_threshold').length >= 3,
    );
    const thresholds = alerts.body.items
      .filter((n) => n.kind === 'quota_threshold')
      .map((n) => n.data.threshold)
      .sort((a, b) => Number(a) - Number(b));
    expect(thresholds).toEqual([50, 80, 100]);

    // An admin raising the plan lifts the refusal at once.
    await planFor(user, { monthlyRequestLimit: 10 });
    expect((await ask(user.key, 2)).status).toBe(200);
  });

  it('counts only requests a provider served: refusals and failures give their place back', async () => {
    const user = await gatewayUser(
      api,
      { openai: 'good', mistral: 'error' },
      { allowedModels: ['openai/gpt-4o-mini', 'mistral/mistral-small-latest'] },
    );
    await planFor(user, { monthlyRequestLimit: 2 });
    const generate = (key: string, body: unknown) =>
      call<ErrorBody>(api.url, 'POST', '/v1/models/openai/gpt-4o-mini/generate', {
        headers: withKey(key),
        body,
      });
    const refusals: { code: string | undefined; status: number }[] = [];
    const note = (answer: { status: number; body: ErrorBody }) =>
      refusals.push({ status: answer.status, code: answer.body.code });
    // Admission counts a request with its rate-limit hit; each of these is refused or fails
    // after that, and must not stay counted.
    note(await chat(user.key, { model: 'openai/gpt-4o-mini', messages: 'hello' }));
    note(await generate(user.key, { prompt: 42 }));
    note(await ask(user.key, 1, { model: 'openai/gpt-4o' }));
    note(await ask(user.key, 1, { model: 'mistral/mistral-small-latest', fallbacks: [] }));
    const reader = await createKey(api.url, user.accessToken, { preset: 'read_only' });
    note(await ask(reader.key, 1));
    const throttled = await createKey(api.url, user.accessToken, {
      rateLimit: { limit: 1, windowSeconds: 60 },
    });
    expect((await ask(throttled.key, 1)).status).toBe(200);
    note(await ask(throttled.key, 1));
    note(await generate(throttled.key, { prompt: 'hi' }));
    expect(refusals).toEqual([
      { status: 400, code: 'validation_failed' },
      { status: 400, code: 'validation_failed' },
      { status: 403, code: 'model_not_allowed' },
      { status: 502, code: 'upstream_unavailable' },
      { status: 403, code: 'insufficient_scope' },
      { status: 429, code: 'rate_limited' },
      { status: 429, code: 'rate_limited' },
    ]);
    // One served so far: exactly one more fits the plan's two, then it refuses with used = 2.
    expect((await ask(user.key, 1)).status).toBe(200);
    const over = await ask(user.key, 1);
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('quota_exceeded');
    expect(over.body.details).toMatchObject({ limit: 2, used: 2 });
  });

  it("counts an uncapped plan's requests too, so a move to a capped plan starts from them", async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    // No cap at all: admission reads no total, and the count follows the request.
    await planFor(user, {});
    for (let i = 0; i < 3; i++) expect((await ask(user.key, 2)).status).toBe(200);
    expect((await ask(user.key, 1, { model: 'openai/gpt-4o' })).status).toBe(200);
    // Refused after admission: each gives its count back.
    const narrow = await createKey(api.url, user.accessToken, {
      allowedModels: ['openai/gpt-4o-mini'],
    });
    expect((await ask(narrow.key, 1, { model: 'openai/gpt-4o' })).status).toBe(403);
    expect((await chat(user.key, { model: 'openai/gpt-4o-mini', messages: 'hello' })).status).toBe(
      400,
    );
    // Four served: a cap of five admits one more, then refuses with used = 5.
    await planFor(user, { monthlyRequestLimit: 5 });
    expect((await ask(user.key, 1)).status).toBe(200);
    const over = await ask(user.key, 1);
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('quota_exceeded');
    expect(over.body.details).toMatchObject({ limit: 5, used: 5 });
  });

  it('enforces the plan cost limit and a key budget separately', async () => {
    const user = await gatewayUser(api, { openai: 'good' });
    // A plan with no cap of its own: the key's budget alone makes its requests checked.
    await planFor(user, {});
    const budgeted = await createKey(api.url, user.accessToken, { monthlyBudgetMicros: 20 });
    expect(budgeted.monthlyBudgetMicros).toBe(20);
    // 40 words in, 41 out: 6 + 24.6 = 31 micro-dollars, over the budget in one request.
    expect((await ask(budgeted.key, 40)).status).toBe(200);
    const refused = await ask(budgeted.key, 1);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('budget_exceeded');
    expect(refused.body.details).toMatchObject({ limit: 20, used: costOf(40, 41) });
    // The owner's other key is not bound by that budget.
    expect((await ask(user.key, 1)).status).toBe(200);

    await planFor(user, { monthlyCostLimitMicros: costOf(40, 41) + costOf(1, 2) });
    const overPlan = await ask(user.key, 1);
    expect(overPlan.status).toBe(429);
    expect(overPlan.body.code).toBe('quota_exceeded');
    expect(overPlan.body.message).toMatch(/monthly cost limit/);
  });

  it('writes buffered events on SIGTERM before the process exits', async () => {
    const lazy = await startApi({
      env: {
        ...upstream.envFor(),
        USAGE_FLUSH_INTERVAL_MS: '60000',
        KEY_ACTIVITY_FLUSH_MS: '60000',
      },
      // The embedded database is read after the process exits, so its directory must outlive it.
      cleanup: false,
    });
    const user = await gatewayUser(lazy, { openai: 'good' });
    for (let i = 0; i < 5; i++) {
      const answer = await call(lazy.url, 'POST', '/v1/chat/completions', {
        headers: withKey(user.key),
        body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `n ${i}` }] },
      });
      expect(answer.status).toBe(200);
    }
    expect(await lazy.stop()).toBe(0);
    const rows = await queryDatabase<{ requests: string }>(
      lazy,
      'SELECT count(*) AS requests FROM usage_events WHERE key_id = $1',
      [user.keyId],
    );
    expect(Number(rows[0]?.requests)).toBe(5);
    rmSync(lazy.dataDir, { recursive: true, force: true });
  });

  it('loses no event when the database goes away for a few seconds under load', async () => {
    if (usesEmbeddedDatabase(api)) {
      // The embedded database lives inside the process; it cannot be taken away from it.
      return;
    }
    const { proxy, url } = await startDatabaseProxy(api.env.DATABASE_URL ?? '');
    const flaky = await startApi({
      env: { ...upstream.envFor(), DATABASE_URL: url, USAGE_FLUSH_INTERVAL_MS: '100' },
    });
    try {
      const user = await gatewayUser(
        flaky,
        { openai: 'good' },
        { rateLimit: { limit: 10_000, windowSeconds: 1 } },
      );
      const whoami = () =>
        call(flaky.url, 'GET', '/v1/whoami', { headers: withKey(user.key) }).then((r) => r.status);
      let sent = 0;
      // Load before, during and after a 3-second outage; the key stays cached, so calls succeed.
      const load = async (ms: number): Promise<void> => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          const statuses = await Promise.all(Array.from({ length: 10 }, whoami));
          sent += statuses.length;
          expect(statuses.every((status) => status === 200)).toBe(true);
        }
      };
      await load(500);
      proxy.interrupt();
      await load(3_000);
      proxy.resume();
      await load(500);
      const counted = await eventually(
        async () =>
          Number(
            (
              await queryDatabase<{ n: string }>(
                flaky,
                'SELECT count(*) AS n FROM usage_events WHERE key_id = $1',
                [user.keyId],
              )
            )[0]?.n,
          ),
        (n) => n >= sent,
        20_000,
      );
      expect(counted).toBe(sent);
      const rollup = await queryDatabase<{ n: string }>(
        flaky,
        'SELECT sum(requests) AS n FROM usage_daily WHERE key_id = $1',
        [user.keyId],
      );
      expect(Number(rollup[0]?.n)).toBe(sent);
    } finally {
      await flaky.stop();
      await proxy.stop();
    }
  });

  it('lets a user ask for another plan and an admin approve it', async () => {
    const user = await gatewayUser(api, {});
    const asked = await call<{ id: string; status: string }>(
      api.url,
      'POST',
      '/api/plans/upgrade-requests',
      { token: user.accessToken, body: { planId: 'pro', message: 'We are growing' } },
    );
    expect(asked.status).toBe(201);
    const again = await call<ErrorBody>(api.url, 'POST', '/api/plans/upgrade-requests', {
      token: user.accessToken,
      body: { planId: 'enterprise' },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('upgrade_pending');
    const unknown = await call(api.url, 'POST', '/api/plans/upgrade-requests', {
      token: admin.accessToken,
      body: { planId: 'platinum' },
    });
    expect(unknown.status).toBe(400);
    const notAdmin = await call(api.url, 'GET', '/api/admin/upgrade-requests', {
      token: user.accessToken,
    });
    expect(notAdmin.status).toBe(403);
    const pending = await call<{ id: string }[]>(
      api.url,
      'GET',
      '/api/admin/upgrade-requests?status=pending',
      { token: admin.accessToken },
    );
    expect(pending.body.map((r) => r.id)).toContain(asked.body.id);
    const decided = await call<{ status: string }>(
      api.url,
      'POST',
      `/api/admin/upgrade-requests/${asked.body.id}/decision`,
      { token: admin.accessToken, body: { status: 'approved' } },
    );
    expect(decided.body.status).toBe('approved');
    const usage = await call<KeyUsageResponse>(api.url, 'GET', '/v1/usage', {
      headers: withKey(user.key),
    });
    expect(usage.body.plan).toMatchObject({ planId: 'pro', requests: { limit: 100_000 } });
    const twice = await call(
      api.url,
      'POST',
      `/api/admin/upgrade-requests/${asked.body.id}/decision`,
      {
        token: admin.accessToken,
        body: { status: 'declined' },
      },
    );
    expect(twice.status).toBe(409);
    expect((twice.body as ErrorBody).code).toBe('upgrade_decided');
  });

  it('closes a pending request when an admin sets another plan first, so it cannot undo it', async () => {
    const user = await gatewayUser(api, {});
    const asked = await call<{ id: string }>(api.url, 'POST', '/api/plans/upgrade-requests', {
      token: user.accessToken,
      body: { planId: 'pro' },
    });
    expect(asked.status).toBe(201);
    await moveToPlan(api, admin.accessToken, user.userId, 'enterprise');
    const settled = await call<UpgradeRequestResponse[]>(
      api.url,
      'GET',
      '/api/admin/upgrade-requests?status=superseded',
      { token: admin.accessToken },
    );
    expect(settled.body.find((r) => r.id === asked.body.id)).toMatchObject({
      status: 'superseded',
      toPlanId: 'pro',
    });
    const approved = await call<ErrorBody>(
      api.url,
      'POST',
      `/api/admin/upgrade-requests/${asked.body.id}/decision`,
      { token: admin.accessToken, body: { status: 'approved' } },
    );
    expect([approved.status, approved.body.code]).toEqual([409, 'upgrade_decided']);
    expect(approved.body.message).toBe('This request was already superseded');
    const own = await call<KeyUsageResponse>(api.url, 'GET', '/v1/usage', {
      headers: withKey(user.key),
    });
    expect(own.body.plan.planId).toBe('enterprise');
    const told = await call<Page<NotificationResponse>>(api.url, 'GET', '/api/notifications', {
      token: user.accessToken,
    });
    expect(told.body.items.filter((n) => n.kind === 'plan_upgrade_decided')).toMatchObject([
      {
        title: 'Your request for the pro plan was closed',
        body: 'An admin moved you to the enterprise plan instead; ask again if you still need the pro plan.',
        data: { requestId: asked.body.id, status: 'superseded' },
      },
    ]);
    // The user may ask again at once: nothing is left pending.
    const again = await call(api.url, 'POST', '/api/plans/upgrade-requests', {
      token: user.accessToken,
      body: { planId: 'pro' },
    });
    expect(again.status).toBe(201);
  });

  it('approves a pending request when an admin sets the plan it asked for', async () => {
    const user = await gatewayUser(api, {});
    const asked = await call<{ id: string }>(api.url, 'POST', '/api/plans/upgrade-requests', {
      token: user.accessToken,
      body: { planId: 'pro' },
    });
    await moveToPlan(api, admin.accessToken, user.userId, 'pro');
    const own = await call<UpgradeRequestResponse[]>(
      api.url,
      'GET',
      '/api/plans/upgrade-requests',
      { token: user.accessToken },
    );
    expect(own.body.map((r) => [r.id, r.status])).toEqual([[asked.body.id, 'approved']]);
    const audit = await auditEvents(api.url, user.accessToken, '?action=plan.upgrade_approved');
    expect(audit.map((event) => event.targetId)).toContain(asked.body.id);
  });

  it('settles an approval and an admin plan change sent at once, one after the other', async () => {
    // Both lock the user's row and the request's; taken in opposite orders, PostgreSQL broke the
    // deadlock by failing one of them, which answered 500.
    const user = await gatewayUser(api, {});
    for (let round = 0; round < 6; round++) {
      // From free or enterprise, alternately, the user asks for pro and is moved to the other.
      const movedTo = round % 2 === 0 ? 'enterprise' : 'free';
      const asked = await call<{ id: string }>(api.url, 'POST', '/api/plans/upgrade-requests', {
        token: user.accessToken,
        body: { planId: 'pro' },
      });
      const [approved, moved] = await Promise.all([
        call<ErrorBody>(api.url, 'POST', `/api/admin/upgrade-requests/${asked.body.id}/decision`, {
          token: admin.accessToken,
          body: { status: 'approved' },
        }),
        call(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
          token: admin.accessToken,
          body: { planId: movedTo },
        }),
      ]);
      expect(asked.status).toBe(201);
      expect(moved.status).toBe(200);
      // Approved first, then moved on; or moved first, and the approval finds it settled.
      expect([201, 409]).toContain(approved.status);
      if (approved.status === 409) expect(approved.body.code).toBe('upgrade_decided');
      const own = await call<KeyUsageResponse>(api.url, 'GET', '/v1/usage', {
        headers: withKey(user.key),
      });
      expect(own.body.plan.planId).toBe(movedTo);
      const requests = await call<UpgradeRequestResponse[]>(
        api.url,
        'GET',
        '/api/plans/upgrade-requests',
        { token: user.accessToken },
      );
      expect(requests.body.find((r) => r.id === asked.body.id)?.status).toBe(
        approved.status === 409 ? 'superseded' : 'approved',
      );
    }
  });

  it('queues an approval behind a plan change that holds the user, instead of deadlocking', async () => {
    if (usesEmbeddedDatabase(api)) {
      // The embedded database runs one transaction at a time: nothing there can deadlock.
      return;
    }
    const user = await gatewayUser(api, {});
    const asked = await call<{ id: string }>(api.url, 'POST', '/api/plans/upgrade-requests', {
      token: user.accessToken,
      body: { planId: 'pro' },
    });
    // Hold the user's row, so both requests stop at it: the plan change first, then the
    // approval. Locking the request before the user, the approval would hold the row the plan
    // change goes on to, and PostgreSQL would end one of them.
    const holder = new pg.Client({ connectionString: api.env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.userId]);
      const waiting = (count: number) => lockWaiters(holder, count);
      const moved = call(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
        token: admin.accessToken,
        body: { planId: 'enterprise' },
      });
      expect(await waiting(1)).toBeGreaterThanOrEqual(1);
      const approved = call<ErrorBody>(
        api.url,
        'POST',
        `/api/admin/upgrade-requests/${asked.body.id}/decision`,
        { token: admin.accessToken, body: { status: 'approved' } },
      );
      expect(await waiting(2)).toBeGreaterThanOrEqual(2);
      await holder.query('COMMIT');
      expect((await moved).status).toBe(200);
      const decision = await approved;
      expect([decision.status, decision.body.code]).toEqual([409, 'upgrade_decided']);
    } finally {
      await holder.end();
    }
  });

  it("disables a user whose plan request it settles without deadlocking with the user's sign-out", async () => {
    if (usesEmbeddedDatabase(api)) return;
    const user = await gatewayUser(api, {});
    const asked = await call(api.url, 'POST', '/api/plans/upgrade-requests', {
      token: user.accessToken,
      body: { planId: 'pro' },
    });
    expect(asked.status).toBe(201);
    // A sign-out locks its session, then the audit log; the admin's change must not hold the
    // audit log (taken to settle the request) while it waits for that session.
    const signOut = new pg.Client({ connectionString: api.env.DATABASE_URL });
    await signOut.connect();
    try {
      await signOut.query('BEGIN');
      await signOut.query(
        'SELECT 1 FROM sessions WHERE user_id = $1 AND revoked_at IS NULL FOR UPDATE',
        [user.userId],
      );
      const changed = call<ErrorBody>(api.url, 'PATCH', `/api/admin/users/${user.userId}`, {
        token: admin.accessToken,
        body: { planId: 'enterprise', disabled: true },
      });
      expect(await lockWaiters(signOut, 1)).toBeGreaterThanOrEqual(1);
      await signOut.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
      await signOut.query('COMMIT');
      const answer = await changed;
      expect([answer.status, answer.body.code]).toEqual([200, undefined]);
    } finally {
      await signOut.end();
    }
  });

  it('settles, after a version upgrade, the requests an earlier plan change left pending', async () => {
    const env = { ...upstream.envFor(), LOGIN_MAX_PER_IP_PER_MINUTE: '1000' };
    const before = await startApi({ env, cleanup: false });
    let after: ApiProcess | undefined;
    try {
      const ask = async (planId: string) => {
        const user = await gatewayUser(before, {});
        const asked = await call<{ id: string }>(
          before.url,
          'POST',
          '/api/plans/upgrade-requests',
          {
            token: user.accessToken,
            body: { planId },
          },
        );
        expect(asked.status).toBe(201);
        return { userId: user.userId, requestId: asked.body.id };
      };
      const [movedAway, movedThere, untouched] = [
        await ask('pro'),
        await ask('pro'),
        await ask('pro'),
      ];
      await before.stop();
      // As an older version left them: plans changed under pending requests, and the migration
      // that settles them not yet run. (On PostgreSQL the run's shared database sees it run
      // again; it touches only requests whose user moved off their plan, which no other test
      // leaves pending.)
      for (const [{ userId }, planId] of [
        [movedAway, 'enterprise'],
        [movedThere, 'pro'],
      ] as const) {
        await queryDatabase(before, 'UPDATE users SET plan_id = $2 WHERE id = $1', [
          userId,
          planId,
        ]);
      }
      await queryDatabase(before, 'DELETE FROM schema_migrations WHERE name = $1', [
        'SettleMootUpgradeRequests1795900000000',
      ]);

      after = await startApi({ env, dataDir: before.dataDir });
      const adminAfter = await signIn(after.url, 'admin@keyward.test', 'admin-password-for-tests');
      const requests = await call<UpgradeRequestResponse[]>(
        after.url,
        'GET',
        '/api/admin/upgrade-requests',
        { token: adminAfter.accessToken },
      );
      const statusOf = (requestId: string) =>
        requests.body.find((request) => request.id === requestId)?.status;
      expect(
        [movedAway, movedThere, untouched].map(({ requestId }) => statusOf(requestId)),
      ).toEqual(['superseded', 'approved', 'pending']);
      // Settled by no one, and without telling the users (long after the fact).
      expect(requests.body.find((r) => r.id === movedAway.requestId)?.decidedAt).not.toBeNull();
      await after.stop();
      const told = await queryDatabase<{ n: string }>(
        after,
        `SELECT count(*) AS n FROM notifications
          WHERE user_id = ANY($1) AND kind = 'plan_upgrade_decided'`,
        [[movedAway.userId, movedThere.userId]],
      );
      expect(Number(told[0]?.n)).toBe(0);
    } finally {
      await after?.stop();
      await before.stop();
      rmSync(before.dataDir, { recursive: true, force: true });
    }
  });

  it('answers two plan requests sent at once with one 201 and one 409', async () => {
    const user = await gatewayUser(api, {});
    const ask = () =>
      call<ErrorBody>(api.url, 'POST', '/api/plans/upgrade-requests', {
        token: user.accessToken,
        body: { planId: 'pro' },
      });
    const answers = await Promise.all([ask(), ask(), ask(), ask()]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409]);
    expect(
      answers.filter((a) => a.status === 409).every((a) => a.body.code === 'upgrade_pending'),
    ).toBe(true);
  });

  describe('retiring a plan', () => {
    const newPlan = async (): Promise<string> => {
      const id = `r-${randomBytes(4).toString('hex')}`;
      const saved = await call(api.url, 'PUT', `/api/admin/plans/${id}`, {
        token: admin.accessToken,
        body: { name: `Retiring ${id}`, monthlyRequestLimit: 10, monthlyCostLimitMicros: null },
      });
      expect(saved.status).toBe(200);
      return id;
    };
    const retire = (id: string) =>
      call<PlanResponse & ErrorBody>(api.url, 'DELETE', `/api/admin/plans/${id}`, {
        token: admin.accessToken,
      });
    const movePlan = (userId: string, planId: string) =>
      call<ErrorBody>(api.url, 'PATCH', `/api/admin/users/${userId}`, {
        token: admin.accessToken,
        body: { planId },
      });
    const openIds = async (token: string) =>
      (await call<PlanResponse[]>(api.url, 'GET', '/api/plans', { token })).body.map((p) => p.id);

    it('refuses while someone is on it, then retires it: hidden from users, pending requests declined, no one moved to it', async () => {
      const id = await newPlan();
      const member = await gatewayUser(api, {});
      await moveToPlan(api, admin.accessToken, member.userId, id);
      const asker = await gatewayUser(api, {});
      const asked = await call<{ id: string }>(api.url, 'POST', '/api/plans/upgrade-requests', {
        token: asker.accessToken,
        body: { planId: id },
      });
      expect(asked.status).toBe(201);

      const inUse = await retire(id);
      expect([inUse.status, inUse.body.code, inUse.body.message, inUse.body.details]).toEqual([
        409,
        'plan_in_use',
        `1 user is on the Retiring ${id} plan: move them to another plan first`,
        { users: 1 },
      ]);
      const starting = await retire('free');
      expect([starting.status, starting.body.code, starting.body.message]).toEqual([
        409,
        'plan_in_use',
        'New accounts start on the Free plan: it cannot be retired',
      ]);

      await moveToPlan(api, admin.accessToken, member.userId, 'free');
      const retired = await retire(id);
      expect(retired.status).toBe(200);
      expect(retired.body).toMatchObject({ id, retiredAt: expect.any(String) });
      expect(await openIds(asker.accessToken)).not.toContain(id);
      const all = await call<PlanResponse[]>(api.url, 'GET', '/api/admin/plans', {
        token: admin.accessToken,
      });
      expect(all.body.find((plan) => plan.id === id)?.retiredAt).toBe(retired.body.retiredAt);
      // Open plans first, retired ones after.
      const retiredFrom = all.body.findIndex((plan) => plan.retiredAt !== null);
      expect(all.body.slice(retiredFrom).every((plan) => plan.retiredAt !== null)).toBe(true);
      expect(
        (await call(api.url, 'GET', '/api/admin/plans', { token: asker.accessToken })).status,
      ).toBe(403);

      const mine = await call<UpgradeRequestResponse[]>(
        api.url,
        'GET',
        '/api/plans/upgrade-requests',
        { token: asker.accessToken },
      );
      expect(mine.body.find((r) => r.id === asked.body.id)?.status).toBe('declined');
      const approved = await call<ErrorBody>(
        api.url,
        'POST',
        `/api/admin/upgrade-requests/${asked.body.id}/decision`,
        { token: admin.accessToken, body: { status: 'approved' } },
      );
      expect([approved.status, approved.body.code]).toEqual([409, 'upgrade_decided']);
      const told = await call<Page<NotificationResponse>>(api.url, 'GET', '/api/notifications', {
        token: asker.accessToken,
      });
      expect(told.body.items.filter((n) => n.kind === 'plan_upgrade_decided')).toMatchObject([
        {
          title: `Your request for the ${id} plan was declined`,
          body: `The Retiring ${id} plan has been retired; your plan stays as it was.`,
        },
      ]);
      expect(
        await auditEvents(api.url, admin.accessToken, '?action=plan.retire&pageSize=100'),
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            targetId: id,
            details: { name: `Retiring ${id}`, declinedRequests: 1 },
          }),
        ]),
      );

      const moved = await movePlan(member.userId, id);
      expect([moved.status, moved.body.errors]).toEqual([
        400,
        [{ field: 'planId', messages: [`The ${id} plan is retired`] }],
      ]);
      const askedAgain = await call<ErrorBody>(api.url, 'POST', '/api/plans/upgrade-requests', {
        token: asker.accessToken,
        body: { planId: id },
      });
      expect([askedAgain.status, askedAgain.body.message]).toEqual([
        400,
        `The ${id} plan is retired`,
      ]);
      expect((await retire(id)).status).toBe(404);

      // Saved again, it is open again.
      const reopened = await call<PlanResponse>(api.url, 'PUT', `/api/admin/plans/${id}`, {
        token: admin.accessToken,
        body: { name: `Retiring ${id}`, monthlyRequestLimit: 10, monthlyCostLimitMicros: null },
      });
      expect(reopened.body.retiredAt).toBeNull();
      expect(
        await auditEvents(api.url, admin.accessToken, '?action=plan.upsert&pageSize=100'),
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            targetId: id,
            details: expect.objectContaining({ reopened: true }),
          }),
        ]),
      );
      expect(await openIds(asker.accessToken)).toContain(id);
      expect((await movePlan(member.userId, id)).status).toBe(200);
    });

    it('never both retires a plan and moves a user to it when the two are sent at once', async () => {
      for (let round = 0; round < 6; round++) {
        const id = await newPlan();
        const user = await gatewayUser(api, {});
        const [retired, moved] = await Promise.all([retire(id), movePlan(user.userId, id)]);
        const me = await call<{ user: { planId: string } }>(api.url, 'GET', '/api/auth/me', {
          token: user.accessToken,
        });
        if (retired.status === 200) {
          expect([moved.status, me.body.user.planId]).toEqual([400, 'free']);
        } else {
          expect([retired.status, retired.body.code, moved.status, me.body.user.planId]).toEqual([
            409,
            'plan_in_use',
            200,
            id,
          ]);
        }
      }
    });

    it('never both retires a plan and approves a request for it when the two are sent at once', async () => {
      for (let round = 0; round < 6; round++) {
        const id = await newPlan();
        const user = await gatewayUser(api, {});
        const asked = await call<{ id: string }>(api.url, 'POST', '/api/plans/upgrade-requests', {
          token: user.accessToken,
          body: { planId: id },
        });
        expect(asked.status).toBe(201);
        const [retired, approved] = await Promise.all([
          retire(id),
          call<ErrorBody>(
            api.url,
            'POST',
            `/api/admin/upgrade-requests/${asked.body.id}/decision`,
            {
              token: admin.accessToken,
              body: { status: 'approved' },
            },
          ),
        ]);
        const me = await call<{ user: { planId: string } }>(api.url, 'GET', '/api/auth/me', {
          token: user.accessToken,
        });
        if (retired.status === 200) {
          expect([approved.status, approved.body.code, me.body.user.planId]).toEqual([
            409,
            'upgrade_decided',
            'free',
          ]);
        } else {
          expect([retired.status, retired.body.code, approved.status, me.body.user.planId]).toEqual(
            [409, 'plan_in_use', 201, id],
          );
        }
      }
    });
  });
});

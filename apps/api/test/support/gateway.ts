import type { ProviderId, ProviderKeyResponse } from '@keyward/shared';
import { randomBytes } from 'node:crypto';
import type { ApiProcess } from './api-process.js';
import { fakeKey, type Marker } from './fake-upstream.js';
import { call, signUp, type SignedIn } from './http.js';
import { createKey } from './keys.js';

export interface GatewayUser extends SignedIn {
  /** A full-access Keyward key of this user. */
  key: string;
  keyId: string;
  /** The provider keys stored for this user, by provider. */
  providerKeys: Partial<Record<ProviderId, string>>;
}

/**
 * Moves a user to another plan, as the admin whose token is given (`enterprise` has no monthly
 * limits, for load that only the test's own conditions should refuse).
 */
export async function moveToPlan(
  api: ApiProcess,
  adminToken: string,
  userId: string,
  planId: string,
): Promise<void> {
  const moved = await call(api.url, 'PATCH', `/api/admin/users/${userId}`, {
    token: adminToken,
    body: { planId },
  });
  if (moved.status !== 200) throw new Error(`moving to the ${planId} plan failed: ${moved.text}`);
}

/**
 * Moves a user to a new plan of its own with the given monthly limits (none unless given), as
 * the admin whose token is given; returns the plan's id.
 */
export async function moveToNewPlan(
  api: ApiProcess,
  adminToken: string,
  userId: string,
  limits: { monthlyRequestLimit?: number | null; monthlyCostLimitMicros?: number | null },
): Promise<string> {
  const id = `t-${randomBytes(4).toString('hex')}`;
  const plan = await call(api.url, 'PUT', `/api/admin/plans/${id}`, {
    token: adminToken,
    body: {
      name: `Plan ${id}`,
      monthlyRequestLimit: null,
      monthlyCostLimitMicros: null,
      ...limits,
    },
  });
  if (plan.status !== 200) throw new Error(`creating the ${id} plan failed: ${plan.text}`);
  await moveToPlan(api, adminToken, userId, id);
  return id;
}

/**
 * A fresh user holding one stored credential per entry (its behaviour chosen by the marker) and
 * a Keyward key. Credentials are stored unverified, so the marker decides only chat answers.
 */
export async function gatewayUser(
  api: ApiProcess,
  credentials: Partial<Record<ProviderId, Marker>>,
  keyBody: Record<string, unknown> = {},
): Promise<GatewayUser> {
  const user = await signUp(api.url, 'gateway');
  const providerKeys: Partial<Record<ProviderId, string>> = {};
  for (const [provider, marker] of Object.entries(credentials) as [ProviderId, Marker][]) {
    const apiKey = fakeKey(provider, marker);
    providerKeys[provider] = apiKey;
    const added = await call<ProviderKeyResponse>(api.url, 'POST', '/api/provider-keys', {
      token: user.accessToken,
      body: { provider, name: `${provider} ${marker}`, apiKey, verify: false },
    });
    if (added.status !== 201) throw new Error(`adding a credential failed: ${added.text}`);
  }
  const key = await createKey(api.url, user.accessToken, keyBody);
  return { ...user, key: key.key, keyId: key.id, providerKeys };
}

/** Waits until `check` holds, polling; for effects that land asynchronously (batched writes). */
export async function eventually<T>(
  check: () => Promise<T>,
  holds: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (holds(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

import type { ApiProcess } from '../../test/support/api-process.js';
import { call } from '../../test/support/http.js';
import { createKey, withKey } from '../../test/support/keys.js';
import { benchUser, round, type ScenarioResult } from '../harness.js';

const ROUNDS = 10;

/**
 * 5. Revoke a key on replica A while replica B holds it in its cache: how long until B refuses
 * it, from the moment the revocation is sent to A. B is polled back to back once A confirms it.
 */
export async function revocationPropagation(
  replicas: [ApiProcess, ApiProcess],
): Promise<ScenarioResult> {
  const [a, b] = replicas;
  const owner = await benchUser(a);
  const delays: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const key = await createKey(a.url, owner.accessToken, { name: `revoke ${i}` });
    const warm = await fetch(`${b.url}/v1/whoami`, { headers: withKey(key.key) });
    await warm.arrayBuffer();
    if (warm.status !== 200) throw new Error(`replica B refused a fresh key: ${warm.status}`);
    // From the moment the revocation is asked for: A's own answer is part of the delay.
    const since = performance.now();
    const revoked = await call(a.url, 'DELETE', `/api/api-keys/${key.id}`, {
      token: owner.accessToken,
    });
    if (revoked.status >= 300) throw new Error(`revoking failed: ${revoked.text}`);
    for (;;) {
      const response = await fetch(`${b.url}/v1/whoami`, { headers: withKey(key.key) });
      await response.arrayBuffer();
      if (response.status === 401) break;
      if (performance.now() - since > 30_000) throw new Error('replica B never refused the key');
    }
    delays.push(performance.now() - since);
  }
  delays.sort((x, y) => x - y);
  const worst = delays[delays.length - 1] ?? 0;
  return {
    id: 5,
    title: `Revocation propagation (revoke on A, refused on B; ${ROUNDS} rounds)`,
    figures: [
      { name: 'median', value: round(delays[Math.floor(delays.length / 2)] ?? 0), unit: 'ms' },
      { name: 'worst', value: round(worst), unit: 'ms' },
    ],
    target: 'worst < 1000 ms',
    met: worst < 1000,
  };
}

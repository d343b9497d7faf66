import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startApi, type ApiProcess } from '../support/api-process.js';
import { queryDatabase } from '../support/database.js';
import { expectedReply, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { eventually, gatewayUser, type GatewayUser } from '../support/gateway.js';
import { call } from '../support/http.js';
import { withKey } from '../support/keys.js';

/**
 * Stopping the API: SIGTERM under load finishes what was accepted, refuses the rest and writes
 * every buffer before a clean exit, even past a stream that never ends; SIGKILL loses at most
 * the usage buffer, and the next start says how much.
 */

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
/** Streams of the fake provider arrive this slowly, so they are still running at the signal. */
const FRAME_GAP_MS = 60;
/** Starting PGlite on a busy machine can take long. */
const START_TIMEOUT_MS = 90_000;
/** Each test starts one to three API processes; on PGlite under load that takes minutes. */
const TEST_TIMEOUT_MS = 300_000;
const LOST_LINE = /The previous run stopped without writing up to (\d+) usage events/;

const lazyEnv = (upstream: FakeUpstream): Record<string, string> => ({
  ...upstream.envFor(),
  // Nothing is written until the stop, so what the database holds afterwards is the stop's work.
  USAGE_FLUSH_INTERVAL_MS: '60000',
  KEY_ACTIVITY_FLUSH_MS: '60000',
  METRICS_TOKEN,
});

const sentence = (label: string, words: number): string =>
  `${label} ${Array.from({ length: words }, (_, i) => `w${i}`).join(' ')}`;

/** The assistant text of an OpenAI-shaped event stream, and whether it ended with [DONE]. */
function readStream(body: string): { text: string; done: boolean } {
  let text = '';
  let done = false;
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6);
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { choices: { delta: { content?: string } }[] };
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, done };
}

/** A request on a new connection: its status, 'refused', or the error code of another failure. */
function onNewConnection(url: string, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${path}`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : (error.code ?? error.message));
    });
    req.end();
  });
}

const chatBody = (content: string, stream: boolean): Record<string, unknown> => ({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content }],
  stream,
});

function postChat(api: ApiProcess, user: GatewayUser, content: string, stream: boolean) {
  return fetch(`${api.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...withKey(user.key), 'content-type': 'application/json' },
    body: JSON.stringify(chatBody(content, stream)),
  });
}

async function exitOf(api: ApiProcess): Promise<number | null> {
  if (api.child.exitCode !== null || api.child.signalCode !== null) return api.child.exitCode;
  return new Promise((resolve) =>
    api.child.once('exit', (code) => {
      resolve(code);
    }),
  );
}

async function eventsOf(api: ApiProcess, keyId: string): Promise<{ total: number; ok: number }> {
  const rows = await queryDatabase<{ total: string; ok: string }>(
    api,
    `SELECT count(*) AS total, count(*) FILTER (WHERE status = 200) AS ok
       FROM usage_events WHERE key_id = $1`,
    [keyId],
  );
  return { total: Number(rows[0]?.total), ok: Number(rows[0]?.ok) };
}

async function lastUsedOf(api: ApiProcess, keyId: string): Promise<Date | null> {
  const rows = await queryDatabase<{ last_used_at: Date | string | null }>(
    api,
    'SELECT last_used_at FROM api_keys WHERE id = $1',
    [keyId],
  );
  const value = rows[0]?.last_used_at;
  return value ? new Date(value) : null;
}

async function lostMetric(api: ApiProcess): Promise<number> {
  const scrape = await call<string>(api.url, 'GET', '/metrics', { token: METRICS_TOKEN });
  expect(scrape.status).toBe(200);
  const line = /^keyward_usage_events_lost_unclean_stop_total (\d+)$/m.exec(scrape.text);
  expect(line).not.toBeNull();
  return Number(line?.[1]);
}

const stateFiles = (dataDir: string): string[] => {
  const dir = join(dataDir, 'usage-recorder');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
};

describe('Stopping the API', () => {
  let upstream: FakeUpstream;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ streamGapMs: FRAME_GAP_MS });
  });
  afterAll(async () => {
    await upstream.stop();
  });

  it(
    'on SIGTERM under load, finishes every accepted request, refuses new connections, writes every event and last use, and exits 0 in time',
    async () => {
      // Long enough that nothing is cut here: every request ends on its own.
      const timeoutMs = 30_000;
      const api = await startApi({
        env: { ...lazyEnv(upstream), SHUTDOWN_TIMEOUT_MS: String(timeoutMs) },
        cleanup: false,
        startTimeoutMs: START_TIMEOUT_MS,
      });
      try {
        const limits = { rateLimit: { limit: 10_000, windowSeconds: 1 } };
        const streamer = await gatewayUser(api, { openai: 'good' }, limits);
        const waiter = await gatewayUser(api, { openai: 'slow' }, limits);
        const caller = await gatewayUser(api, { openai: 'good' }, limits);

        // Short calls in a loop across the signal, 8 at a time: each is answered whole, or
        // refused (503, or its connection closed or refused) and then not tried again.
        const outcomes: (number | 'not taken' | 'broken')[] = [];
        const worker = async (): Promise<void> => {
          for (;;) {
            const outcome = await fetch(`${api.url}/v1/whoami`, { headers: withKey(caller.key) })
              .then(
                (response) => response.json().then(() => response.status),
                () => 'not taken' as const,
              )
              .catch(() => 'broken' as const);
            outcomes.push(outcome);
            if (outcome !== 200) return;
          }
        };
        const load = Promise.all(Array.from({ length: 8 }, worker));
        await eventually(
          () => Promise.resolve(outcomes.length),
          (count) => count >= 16,
        );

        // 20 streams of ~60 frames 60 ms apart (over 3 seconds each), under way before the signal.
        const streamTexts = Array.from({ length: 20 }, (_, i) => sentence(`stream ${i}`, 60));
        const streams = await Promise.all(
          streamTexts.map((text) => postChat(api, streamer, text, true)),
        );
        expect(streams.map((response) => response.status)).toEqual(streamTexts.map(() => 200));
        const streamBodies = streams.map((response) =>
          response.text().then(
            (body) => ({ body, endedAt: Date.now() }),
            (error: unknown) => ({ body: `broken: ${String(error)}`, endedAt: Date.now() }),
          ),
        );
        // 20 answers the provider holds for 3 seconds, all of them accepted (the provider has them).
        const slowTexts = Array.from({ length: 20 }, (_, i) => sentence(`slow ${i}`, 3));
        const upstreamBefore = upstream.requests.length;
        const slow = slowTexts.map((text) =>
          postChat(api, waiter, text, false)
            .then(async (response) => {
              const body = (await response.json()) as {
                choices: { message: { content: string } }[];
              };
              return { status: response.status, content: body.choices[0]?.message.content };
            })
            .catch((error: unknown) => ({ status: 0, content: `broken: ${String(error)}` })),
        );
        await eventually(
          () => Promise.resolve(upstream.requests.length - upstreamBefore),
          (count) => count >= slowTexts.length,
        );
        const signalledAt = Date.now();
        api.child.kill('SIGTERM');
        const exited = exitOf(api);
        // Soon refusing new connections (the listener closes once the shutdown hooks have
        // handed back what this replica holds), while still finishing the slow answers.
        const refusal = await eventually(
          () => onNewConnection(api.url, '/api/health'),
          (outcome) => outcome === 'refused',
          // Below the slow answers' ~3 s, so the process is still there to be asked.
          2_000,
        );
        expect(refusal).toBe('refused');
        expect(api.child.exitCode).toBeNull();

        const streamed = await Promise.all(streamBodies);
        // They were still under way when the signal came.
        expect(Math.min(...streamed.map((stream) => stream.endedAt))).toBeGreaterThan(signalledAt);
        streamed.forEach(({ body }, i) => {
          const reply = readStream(body);
          expect(reply.done).toBe(true);
          const messages = [{ role: 'user', content: streamTexts[i] ?? '' }];
          expect(reply.text).toBe(expectedReply({ messages }).content);
        });
        const answered = await Promise.all(slow);
        expect(answered).toEqual(
          slowTexts.map((text) => ({ status: 200, content: `Echo: ${text}` })),
        );
        await load;
        const served = outcomes.filter((outcome) => outcome === 200).length;
        expect(served).toBeGreaterThanOrEqual(16);
        expect(outcomes.filter((outcome) => outcome !== 200)).toHaveLength(8);
        expect(outcomes).not.toContain('broken');

        // It exited once the last request ended and the buffers were written, not by the timeout.
        expect(await exited).toBe(0);
        expect(Date.now() - signalledAt).toBeLessThan(timeoutMs);
        expect(api.output()).not.toMatch(/Requests still running at the shutdown timeout/);

        expect(await eventsOf(api, streamer.keyId)).toEqual({ total: 20, ok: 20 });
        expect(await eventsOf(api, waiter.keyId)).toEqual({ total: 20, ok: 20 });
        expect(await eventsOf(api, caller.keyId)).toEqual({ total: served, ok: served });
        for (const user of [streamer, waiter]) {
          expect(await lastUsedOf(api, user.keyId)).not.toBeNull();
        }
        // A clean stop that wrote everything leaves nothing to report.
        expect(stateFiles(api.dataDir)).toEqual([]);
      } finally {
        await api.stop();
        rmSync(api.dataDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'cuts a stream that never ends at SHUTDOWN_TIMEOUT_MS and still writes the buffers',
    async () => {
      const timeoutMs = 1_500;
      const api = await startApi({
        env: { ...lazyEnv(upstream), SHUTDOWN_TIMEOUT_MS: String(timeoutMs) },
        cleanup: false,
        startTimeoutMs: START_TIMEOUT_MS,
      });
      try {
        const stuck = await gatewayUser(api, { openai: 'stall' });
        const fine = await gatewayUser(api, { openai: 'good' });
        for (let i = 0; i < 5; i++) {
          const answer = await postChat(api, fine, `fine ${i}`, false);
          expect(answer.status).toBe(200);
          await answer.text();
        }
        const stream = await postChat(api, stuck, sentence('stuck', 10), true);
        expect(stream.status).toBe(200);
        const reader = stream.body?.getReader();
        const first = await reader?.read();
        expect(first?.done).toBe(false);
        const rest = (async () => {
          for (;;) {
            const { done } = (await reader?.read()) ?? { done: true };
            if (done) return 'ended';
          }
        })().catch(() => 'cut');

        const signalledAt = Date.now();
        api.child.kill('SIGTERM');
        expect(await exitOf(api)).toBe(0);
        const took = Date.now() - signalledAt;
        // It waited for the stream as long as allowed, and not much longer.
        expect(took).toBeGreaterThanOrEqual(timeoutMs - 100);
        // Well before the last resort (timeout + 15 s, exit code 1).
        expect(took).toBeLessThan(timeoutMs + 10_000);
        // The client sees the stream break off, not a clean end: it never got all its frames.
        expect(await rest).toBe('cut');
        expect(api.output()).toMatch(/Requests still running at the shutdown timeout/);
        expect(api.output()).not.toMatch(/usage events unwritten/);

        expect(await eventsOf(api, fine.keyId)).toEqual({ total: 5, ok: 5 });
        expect(await lastUsedOf(api, fine.keyId)).not.toBeNull();
        expect(await lastUsedOf(api, stuck.keyId)).not.toBeNull();
        // The cut stream is someone's usage too, marked as cut by the stop, not by its caller.
        const cut = await queryDatabase<{ status: number; error_code: string | null }>(
          api,
          'SELECT status, error_code FROM usage_events WHERE key_id = $1',
          [stuck.keyId],
        );
        expect(cut).toEqual([{ status: 200, error_code: 'server_stopping' }]);
      } finally {
        await api.stop();
        rmSync(api.dataDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'after SIGKILL, reports at the next start how many usage events were lost, and after a clean stop nothing',
    async () => {
      const first = await startApi({
        env: lazyEnv(upstream),
        cleanup: false,
        startTimeoutMs: START_TIMEOUT_MS,
      });
      const { dataDir, port } = first;
      try {
        const user = await gatewayUser(first, { openai: 'good' });
        const sent = 7;
        for (let i = 0; i < sent; i++) {
          const answer = await call(first.url, 'GET', '/v1/whoami', { headers: withKey(user.key) });
          expect(answer.status).toBe(200);
        }
        // The state file follows the buffer within a quarter of a second.
        const [file] = stateFiles(dataDir);
        expect(file).toBeDefined();
        const pending = await eventually(
          () => {
            const text = readFileSync(join(dataDir, 'usage-recorder', file ?? ''), 'utf8');
            return Promise.resolve((JSON.parse(text) as { pending: number }).pending);
          },
          (count) => count === sent,
        );
        expect(pending).toBe(sent);
        expect(await first.stop('SIGKILL')).toBeNull();

        // Same data directory and port: the same deployment slot, restarted.
        const second = await startApi({
          env: lazyEnv(upstream),
          dataDir,
          port,
          cleanup: false,
          startTimeoutMs: START_TIMEOUT_MS,
        });
        let afterClean: ApiProcess | undefined;
        try {
          expect(LOST_LINE.exec(second.output())?.[1]).toBe(String(sent));
          expect(second.output()).toMatch(/received between \d{4}-\d\d-\d\dT[\d:.]+Z and /);
          expect(await lostMetric(second)).toBe(sent);

          const answer = await call(second.url, 'GET', '/v1/whoami', {
            headers: withKey(user.key),
          });
          expect(answer.status).toBe(200);
          expect(await second.stop()).toBe(0);
          expect(stateFiles(dataDir)).toEqual([]);

          afterClean = await startApi({
            env: lazyEnv(upstream),
            dataDir,
            port,
            cleanup: false,
            startTimeoutMs: START_TIMEOUT_MS,
          });
          expect(afterClean.output()).not.toMatch(LOST_LINE);
          expect(await lostMetric(afterClean)).toBe(0);
          expect(await afterClean.stop()).toBe(0);
          // The killed run's events are gone (the loss is what its buffer held); the clean stop's
          // one event is there.
          expect((await eventsOf(afterClean, user.keyId)).total).toBe(1);
        } finally {
          await second.stop();
          await afterClean?.stop();
        }
      } finally {
        await first.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );
});

import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, errors, request } from 'undici';
import { LogThrottle } from '../common/log-throttle.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { connectionFailure } from '../network/connection-failure.js';
import { refusalIn } from '../network/outbound-guard.js';
import { ProviderNetwork } from '../providers/provider-network.js';

export interface UpstreamCall {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Aborts the call when the caller hangs up. */
  signal?: AbortSignal;
}

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown };
}

/** The provider could not be reached, or went quiet for longer than the timeout. */
export class UpstreamUnreachable extends Error {
  constructor(
    readonly timedOut: boolean,
    /** Why, in the operating system's or TLS's terms (see connectionFailure); null if unsaid. */
    readonly why: string | null = null,
  ) {
    super(timedOut ? 'timed out' : 'unreachable');
  }
}

function unreachable(error: unknown): UpstreamUnreachable {
  const timedOut = isTimeout(error);
  return new UpstreamUnreachable(timedOut, timedOut ? null : connectionFailure(error));
}

/** The provider is at an internal address Keyward may not connect to (ProviderNetwork). */
export class UpstreamRefused extends Error {}

/** The provider's answer was bigger than Keyward accepts. */
export class UpstreamTooLarge extends Error {}

/**
 * One keep-alive connection pool per provider origin, shared by every guarded request, with
 * timeouts on the headers and on each gap in the body. Redirects are never followed (undici's
 * `request` follows none): a provider API that redirects is misconfigured, and following could
 * send a credential elsewhere. Connections go only where ProviderNetwork allows.
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamClient.name);
  private readonly agent: Agent;
  /** One line per provider host and minute while it cannot be reached, with how many calls. */
  private readonly unreachableLogs = new Map<string, LogThrottle>();
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig, network: ProviderNetwork) {
    this.timeoutMs = config.gateway.upstreamTimeoutMs;
    this.maxResponseBytes = config.gateway.maxResponseBytes;
    this.agent = new Agent({
      connections: config.gateway.connectionsPerOrigin,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: network.guard.connector({ timeout: Math.min(this.timeoutMs, 10_000) }),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // The HTTP server has closed by now, so a provider call still open (a stream cut at the
    // shutdown timeout whose provider never ends it) has no caller left: it may not hold the stop.
    const closed = this.agent.close().then(
      () => true,
      () => true,
    );
    const grace = new Promise<false>((resolve) =>
      setTimeout(() => {
        resolve(false);
      }, 1_000).unref(),
    );
    if (!(await Promise.race([closed, grace]))) {
      await this.agent.destroy();
    }
  }

  async post(call: UpstreamCall): Promise<UpstreamAnswer> {
    try {
      const answer = await request(call.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: call.headers,
        body: call.body,
        signal: call.signal,
      });
      return { status: answer.statusCode, headers: answer.headers, body: answer.body };
    } catch (error) {
      if (refusalIn(error)) throw new UpstreamRefused();
      const failure = unreachable(error);
      if (!call.signal?.aborted) this.noteUnreachable(call.url, failure);
      throw failure;
    }
  }

  /**
   * Says in the log which provider host could not be reached and why (refused, not resolved, a
   * certificate): the host and the error's code only, never the request. The caller's 502 says
   * why too, but not the host.
   */
  private noteUnreachable(url: string, failure: UpstreamUnreachable): void {
    const host = new URL(url).host;
    let throttle = this.unreachableLogs.get(host);
    if (!throttle) {
      throttle = new LogThrottle(60_000);
      // Hosts come from configuration, so the map stays small.
      if (this.unreachableLogs.size < 100) this.unreachableLogs.set(host, throttle);
    }
    const calls = throttle.pass();
    if (calls === undefined) return;
    const why = failure.timedOut
      ? `no answer within ${this.timeoutMs} ms`
      : (failure.why ?? 'no cause given');
    this.logger.warn(
      `Could not reach the provider at ${host}: ${why}${calls > 1 ? ` (${calls} calls since the last line)` : ''}`,
    );
  }

  /** Reads a whole (non-streamed) answer, refusing more than the configured size. */
  async readAll(answer: UpstreamAnswer): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of answer.body) {
        size += chunk.length;
        if (size > this.maxResponseBytes) {
          answer.body.destroy();
          throw new UpstreamTooLarge();
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof UpstreamTooLarge) throw error;
      throw unreachable(error);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Drains and drops an answer, so its connection goes back to the pool. */
  async discard(answer: UpstreamAnswer): Promise<void> {
    try {
      await this.readAll(answer);
    } catch {
      // Nothing to keep; a broken body simply closes its connection.
    }
  }
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    error instanceof errors.ConnectTimeoutError
  );
}

export function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

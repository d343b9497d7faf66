import type { LookupFunction } from 'node:net';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WEBHOOK_SIGNATURE_HEADER } from '@keyward/shared';
import type { Resolver } from '../network/address-classification.js';
import {
  resolveWebhookTarget,
  WebhookUrlRefusedError,
  type WebhookTarget,
} from './address-policy.js';
import { signWebhook } from './webhook-signature.js';

export interface SendOptions {
  /** For the whole delivery: the host name's lookup, the connection and the answer. */
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  /** The system resolver unless given (tests). */
  resolve?: Resolver;
}

export type SendOutcome =
  | { delivered: true; httpStatus: number }
  | { delivered: false; httpStatus: number | null; error: string };

/** The most of a receiver's answer ever read; only its status matters. */
const MAX_RESPONSE_BYTES = 4096;

/**
 * POSTs one signed body. The host is resolved and checked again now (a name may have been pointed
 * at an internal address since it was saved), and the connection goes to exactly the address that
 * was checked. Redirects are not followed, the whole exchange has a deadline (a lookup that hangs
 * counts against it, or one slow DNS server would hold a sending slot for as long as it liked),
 * and the answer is read no further than a few kilobytes. Errors describe what happened without
 * the URL, which may carry a token of the receiver's.
 */
export async function sendWebhook(
  url: string,
  secret: string,
  body: string,
  options: SendOptions,
): Promise<SendOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const timedOut: SendOutcome = {
    delivered: false,
    httpStatus: null,
    error: `No answer within ${options.timeoutMs} ms`,
  };
  let target: WebhookTarget | undefined;
  try {
    target = await beforeDeadline(
      resolveWebhookTarget(url, {
        allowPrivateNetworks: options.allowPrivateNetworks,
        resolve: options.resolve,
      }),
      options.timeoutMs,
    );
  } catch (error) {
    if (error instanceof WebhookUrlRefusedError) {
      return { delivered: false, httpStatus: null, error: error.message };
    }
    throw error;
  }
  if (!target) return timedOut;
  const checked = target;
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  };
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = Buffer.from(body, 'utf8');

  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: SendOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const outgoing = request(target.url, {
      method: 'POST',
      lookup: pinned,
      // No pooling: each delivery gets a fresh connection to the address checked for it.
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': String(payload.length),
        'user-agent': 'Keyward-Webhooks/1',
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, body),
      },
    });
    const timer = setTimeout(
      () => {
        outgoing.destroy();
        finish(timedOut);
      },
      Math.max(0, deadline - Date.now()),
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      finish({
        delivered: false,
        httpStatus: null,
        error: `Could not reach the webhook (${error.code ?? 'connection error'})`,
      });
    });
    outgoing.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) response.destroy();
      });
      response.on('error', () => undefined);
      const done = (): void => {
        outgoing.destroy();
        if (status >= 200 && status < 300) {
          finish({ delivered: true, httpStatus: status });
          return;
        }
        const error =
          status >= 300 && status < 400
            ? `Redirect (${status}) not followed`
            : `The webhook answered ${status}`;
        finish({ delivered: false, httpStatus: status, error });
      };
      response.on('end', done);
      response.on('close', done);
    });
    outgoing.end(payload);
  });
}

/** The promise's value, or undefined once `ms` have passed without one. */
async function beforeDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined);
    }, ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

import { isIP } from 'node:net';
import {
  hostOf,
  isLocalhostName,
  isPublicAddress,
  systemResolver,
  type ResolvedAddress,
  type Resolver,
} from '../network/address-classification.js';

export class WebhookUrlRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WebhookUrlRefusedError';
  }
}

export interface WebhookTarget {
  url: URL;
  /** The checked address the connection must go to, so a second lookup cannot change it. */
  address: string;
  family: 4 | 6;
}

/**
 * Parses a webhook URL and resolves its host, refusing anything outside http(s) and the public
 * internet: a user's webhook URL is fetched from inside the deployment. Every resolved address must be public, since a client may pick any of them. The
 * WHATWG parser has already turned decimal, octal and hex IPv4 spellings (2130706433, 0x7f.1,
 * 0177.0.0.1) into dotted form, so they are classified like any other address.
 */
export async function resolveWebhookTarget(
  raw: string,
  options: { allowPrivateNetworks: boolean; resolve?: Resolver },
): Promise<WebhookTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlRefusedError('The webhook URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new WebhookUrlRefusedError('A webhook URL must use http or https');
  }
  const hostname = hostOf(url);
  const literal = isIP(hostname);
  const privateAllowed = options.allowPrivateNetworks;
  if (literal !== 0) {
    if (!privateAllowed && !isPublicAddress(hostname)) throw refusedAddress();
    return { url, address: hostname, family: literal === 6 ? 6 : 4 };
  }
  if (!privateAllowed && isLocalhostName(hostname)) throw refusedAddress();
  let addresses: ResolvedAddress[];
  try {
    addresses = await (options.resolve ?? systemResolver)(hostname);
  } catch {
    throw new WebhookUrlRefusedError('The webhook host name could not be resolved');
  }
  const first = addresses[0];
  if (!first) throw new WebhookUrlRefusedError('The webhook host name could not be resolved');
  if (!privateAllowed && !addresses.every(({ address }) => isPublicAddress(address))) {
    throw refusedAddress();
  }
  return { url, address: first.address, family: first.family };
}

const refusedAddress = (): WebhookUrlRefusedError =>
  new WebhookUrlRefusedError(
    'A webhook URL must point to a public internet address, not a loopback, private, link-local or reserved one',
  );

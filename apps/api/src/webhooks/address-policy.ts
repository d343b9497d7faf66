import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may not point: anything that is not the public internet. A user's webhook URL
 * is fetched from inside the deployment, so without this it could reach the database, a cloud
 * metadata service or an admin port on the same network (server-side request forgery).
 */
const refusedV4 = new BlockList();
// Separate lists: a BlockList matches IPv4 addresses against IPv4-mapped IPv6 subnets too.
const refusedV6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the 169.254.169.254 metadata service
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const) {
  refusedV4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form
  ['::ffff:0:0', 96], // IPv4-mapped: would reach whatever IPv4 address it embeds
  ['64:ff9b::', 96], // NAT64, also embedding IPv4
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4, embedding IPv4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  refusedV6.addSubnet(network, prefix, 'ipv6');
}

/** True for an address on the public internet; false for loopback, private and special ranges. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !refusedV4.check(address, 'ipv4') : !refusedV6.check(address, 'ipv6');
}

export class WebhookUrlRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WebhookUrlRefusedError';
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

export interface WebhookTarget {
  url: URL;
  /** The checked address the connection must go to, so a second lookup cannot change it. */
  address: string;
  family: 4 | 6;
}

/**
 * Parses a webhook URL and resolves its host, refusing anything outside http(s) and the public
 * internet. Every resolved address must be public, since a client may pick any of them. The
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
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(hostname);
  const privateAllowed = options.allowPrivateNetworks;
  if (literal !== 0) {
    if (!privateAllowed && !isPublicAddress(hostname)) throw refusedAddress();
    return { url, address: hostname, family: literal === 6 ? 6 : 4 };
  }
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (!privateAllowed && (name === 'localhost' || name.endsWith('.localhost'))) {
    throw refusedAddress();
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await (options.resolve ?? systemResolver)(name);
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

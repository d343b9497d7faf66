import { BlockList, isIP } from 'node:net';
import { normaliseHostName } from './address-classification.js';

/** A host name as DNS allows it (letters, digits, dashes and underscores in dot-separated labels). */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * The internal networks and host names an operator lets outbound requests reach, written as a
 * comma-separated list of CIDRs (`10.0.0.0/8`, `fd00::/8`), single addresses and host names
 * (`llm-proxy.internal`). A listed name is trusted whatever it resolves to; it matches exactly,
 * not its subdomains.
 */
export class NetworkAllowList {
  private readonly networks = new BlockList();
  private readonly hosts = new Set<string>();
  /** The entries as given, for messages. */
  readonly entries: readonly string[];

  private constructor(entries: string[]) {
    this.entries = entries;
  }

  static readonly empty = new NetworkAllowList([]);

  /** Parses the list; each entry that is not a CIDR, an address or a host name is a problem. */
  static parse(raw: string | undefined): { list: NetworkAllowList; problems: string[] } {
    const entries = (raw ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const list = new NetworkAllowList(entries);
    const problems: string[] = [];
    for (const entry of entries) {
      if (!list.add(entry)) {
        problems.push(`"${entry}" is not a CIDR (10.0.0.0/8), an IP address or a host name`);
      }
    }
    return { list, problems };
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  allowsAddress(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    return this.networks.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }

  allowsHost(name: string): boolean {
    return this.hosts.has(normaliseHostName(name));
  }

  private add(entry: string): boolean {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash === -1) {
        this.networks.addAddress(address, type);
        return true;
      }
      const prefixText = entry.slice(slash + 1);
      const prefix = Number(prefixText);
      if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return false;
      this.networks.addSubnet(address, prefix, type);
      return true;
    }
    const name = normaliseHostName(entry);
    // A name whose last label is numeric would be read as an IPv4 address by the URL parser, so
    // `10.0.0.300` or `10.0.0/8` is a mistyped network, not a host name.
    if (slash !== -1 || !HOST_NAME.test(name) || /(^|\.)(\d+|0x[0-9a-f]*)$/.test(name)) {
      return false;
    }
    this.hosts.add(name);
    return true;
  }
}

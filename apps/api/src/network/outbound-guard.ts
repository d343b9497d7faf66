import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import {
  hostOf,
  isLocalhostName,
  isPublicAddress,
  normaliseHostName,
  systemResolver,
  type ResolvedAddress,
  type Resolver,
} from './address-classification.js';
import type { NetworkAllowList } from './allow-list.js';

/** A connection was not opened because its address is internal and not allow-listed. */
export class OutboundAddressRefused extends Error {
  readonly code = 'ERR_OUTBOUND_ADDRESS_REFUSED';

  constructor(
    readonly host: string,
    readonly addresses: readonly string[],
  ) {
    super(
      `${host} (${addresses.join(', ')}) is not a public internet address and is not allow-listed`,
    );
    this.name = 'OutboundAddressRefused';
  }
}

export interface OutboundGuardOptions {
  allowList: NetworkAllowList;
  /** Stands in for the system resolver in tests. */
  resolve?: Resolver;
  /** Told of every refusal, before the connection attempt fails with it. */
  onRefused?: (refusal: OutboundAddressRefused) => void;
}

/**
 * Decides, when a connection is opened, whether its address may be reached: public internet
 * addresses may, internal ones only when allow-listed. A name is resolved exactly once, here, and
 * the socket is handed only the addresses that passed, so the name cannot be re-pointed between
 * the check and the connection (DNS rebinding). A keep-alive connection stays with the address
 * it was checked at.
 */
export class OutboundAddressGuard {
  private readonly resolve: Resolver;

  constructor(private readonly options: OutboundGuardOptions) {
    this.resolve = options.resolve ?? systemResolver;
  }

  allowsAddress(address: string): boolean {
    return isPublicAddress(address) || this.options.allowList.allowsAddress(address);
  }

  /**
   * The addresses of `hostname` a connection may use. Internal ones are dropped (the others stay
   * usable); none left is a refusal. A name the operator listed is trusted as it resolves.
   */
  async resolveAllowed(hostname: string, family?: 4 | 6): Promise<ResolvedAddress[]> {
    const name = normaliseHostName(hostname);
    const resolved = (await this.resolve(name)).filter(
      (entry) => family === undefined || entry.family === family,
    );
    if (resolved.length === 0) {
      throw Object.assign(new Error(`${name} has no address`), { code: 'ENOTFOUND' });
    }
    if (this.options.allowList.allowsHost(name)) return resolved;
    const allowed = resolved.filter(({ address }) => this.allowsAddress(address));
    if (allowed.length === 0) {
      throw this.refuse(
        name,
        resolved.map(({ address }) => address),
      );
    }
    return allowed;
  }

  /** For `net.connect`/`tls.connect`: the socket connects to what this hands back, nothing else. */
  readonly lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const family =
      lookupOptions.family === 4 || lookupOptions.family === 'IPv4'
        ? 4
        : lookupOptions.family === 6 || lookupOptions.family === 'IPv6'
          ? 6
          : undefined;
    this.resolveAllowed(hostname, family).then(
      (addresses) => {
        const [first] = addresses;
        if (lookupOptions.all || !first) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)), '');
      },
    );
  };

  /**
   * An undici connector applying the guard. Address literals never reach `lookup` (the socket
   * connects to them directly), so they are checked here.
   */
  connector(options: buildConnector.BuildOptions = {}): buildConnector.connector {
    const connect = buildConnector({ ...options, lookup: this.lookup });
    return (target, callback) => {
      const host = target.hostname;
      if (isIP(host) !== 0 && !this.allowsAddress(host)) {
        callback(this.refuse(host, [host]), null);
        return;
      }
      connect(target, callback);
    };
  }

  private refuse(host: string, addresses: string[]): OutboundAddressRefused {
    const refusal = new OutboundAddressRefused(host, addresses);
    this.options.onRefused?.(refusal);
    return refusal;
  }
}

/** Whether an error from an outbound call (possibly wrapped by the HTTP client) is a refusal. */
export function refusalIn(error: unknown): OutboundAddressRefused | null {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof OutboundAddressRefused) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}

/**
 * Whether a URL names, by its spelling alone, a host the guard would refuse: an internal address
 * (in any form the URL parser reads as one) or `localhost`, and not allow-listed. Other names
 * are only known when a connection resolves them.
 */
export function isSpelledInternal(url: URL, allowList: NetworkAllowList): boolean {
  const host = hostOf(url);
  if (isIP(host) !== 0) return !isPublicAddress(host) && !allowList.allowsAddress(host);
  if (!isLocalhostName(host) || allowList.allowsHost(host)) return false;
  return !allowList.allowsAddress('127.0.0.1') && !allowList.allowsAddress('::1');
}

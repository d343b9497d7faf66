import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Cuts every open connection and refuses new ones, like a database that went away. */
  interrupt(): void;
  /**
   * Stops carrying bytes either way while every connection stays open, and holds new ones the
   * same way: a network partition or a server that froze, which closes nothing.
   */
  stall(): void;
  /** Ends an interruption or a stall; a stall's held bytes are delivered then. */
  resume(): void;
  stop(): Promise<void>;
}

interface Relay {
  client: Socket;
  upstream: Socket;
}

/** A relay in front of the PostgreSQL server of `databaseUrl`, and that URL through it. */
export async function startDatabaseProxy(
  databaseUrl: string,
): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(databaseUrl);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(target.href);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  return { proxy, url: viaProxy.href };
}

/** A TCP relay to `target`, for tests that need a dependency to vanish and come back. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const relays = new Set<Relay>();
  let refusing = false;
  let stalled = false;

  const carry = ({ client, upstream }: Relay): void => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const hold = ({ client, upstream }: Relay): void => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };

  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const relay: Relay = { client, upstream: connect(targetPort, targetHost) };
    relays.add(relay);
    const close = (): void => {
      relay.client.destroy();
      relay.upstream.destroy();
      relays.delete(relay);
    };
    relay.client.on('error', close).on('close', close);
    relay.upstream.on('error', close).on('close', close);
    if (stalled) hold(relay);
    else carry(relay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const destroyAll = (): void => {
    for (const { client, upstream } of relays) {
      client.destroy();
      upstream.destroy();
    }
    relays.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    interrupt: () => {
      refusing = true;
      destroyAll();
    },
    stall: () => {
      stalled = true;
      for (const relay of relays) hold(relay);
    },
    resume: () => {
      refusing = false;
      if (!stalled) return;
      stalled = false;
      for (const relay of relays) carry(relay);
    },
    stop: async () => {
      destroyAll();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

/** A loopback port just freed, where nothing listens: every connection to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The requests of a connection waiting to hear that it closed: one listener on the socket however
 * many requests are pipelined on it.
 */
const closeWatchers = new WeakMap<Socket, Set<() => void>>();

function watchSocket(socket: Socket, onClose: () => void): () => void {
  let watchers = closeWatchers.get(socket);
  if (!watchers) {
    const all = new Set<() => void>();
    watchers = all;
    closeWatchers.set(socket, all);
    socket.once('close', () => {
      closeWatchers.delete(socket);
      for (const watcher of all) watcher();
    });
  }
  const mine = watchers;
  mine.add(onClose);
  return () => {
    mine.delete(onClose);
  };
}

/**
 * Calls `closed` once, when the response has closed or its connection has, whichever comes
 * first; `finished` says whether the whole response was sent. The socket is watched too: a
 * pipelined request whose response waits behind an earlier one never has that response close
 * when the connection drops (Node destroys only the request).
 */
export function whenResponseCloses(
  request: FastifyRequest,
  reply: FastifyReply,
  closed: (finished: boolean) => void,
): void {
  const response = reply.raw;
  const socket = request.raw.socket as Socket | null;
  // Gone already (before a handler ran): 'close' has fired and will not again.
  if (response.closed || !socket || socket.destroyed) {
    closed(response.writableFinished);
    return;
  }
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    response.off('close', settle);
    unwatch();
    closed(response.writableFinished);
  };
  const unwatch = watchSocket(socket, settle);
  response.once('close', settle);
}

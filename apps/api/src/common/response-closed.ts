import type { FastifyReply, FastifyRequest } from 'fastify';

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
  const socket = request.raw.socket as typeof request.raw.socket | null;
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    response.off('close', settle);
    socket?.off('close', settle);
    closed(response.writableFinished);
  };
  // Gone already (before a handler ran): 'close' has fired and will not again.
  if (response.closed || !socket || socket.destroyed) {
    settle();
    return;
  }
  response.once('close', settle);
  socket.once('close', settle);
}

import type { ErrorBody, ErrorCode } from '@keyward/shared';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/**
 * How long a refused connection may keep sending before it is cut. Long enough for a client
 * still uploading an oversized request to finish and read the answer, short enough that a
 * client which never stops cannot hold the connection.
 */
export const LINGER_MS = 2_000;

/** Node's HTTP parser errors, as its `clientError` event reports them. */
interface ClientError extends Error {
  code?: string;
}

interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
}

function refusalFor(error: ClientError): Refusal {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      code: 'headers_too_large',
      message: `The request's URL and headers together are larger than ${maxHeaderSize / 1024} KiB`,
    };
  }
  if (error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    return {
      status: 413,
      code: 'payload_too_large',
      message: 'The request body carries chunk extensions over the size limit',
    };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      code: 'request_timeout',
      message: 'The request did not arrive in time',
    };
  }
  return { status: 400, code: 'bad_request', message: 'The request is not well-formed HTTP' };
}

/**
 * Answers a request that Node's HTTP parser refused before any route saw it (headers over the
 * size limit, a malformed request line, headers too slow to arrive), in Keyward's error shape.
 *
 * Fastify's own handler writes its answer without `Connection: close` and destroys the socket at
 * once. A client that took the answer as keep-alive could send its next request down the closing
 * connection and see it fail; a socket destroyed with the rest of an oversized request still
 * unread is reset rather than closed, which can discard the answer before the client reads it.
 * So the answer says the connection closes, the socket half-closes after it, and what the client
 * still sends is read and dropped until it closes its side or LINGER_MS passes.
 */
export function clientErrorHandler(
  staticHeaders: Readonly<Record<string, string>>,
  logger: Logger,
): (error: ClientError, socket: Socket) => void {
  const extraHeaders = Object.entries(staticHeaders)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  // A connection is answered on its first failure only: Node's parser, once failed, may report
  // again (on a chunk that arrives before it lets go, or when the client closes its side).
  const answered = new WeakSet<Socket>();
  return (error, socket) => {
    // A reset connection, or one already gone, has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    const refusal = refusalFor(error);
    logger.debug({ code: error.code, status: refusal.status }, 'Refused a malformed request');
    // An earlier request of this connection still being answered: bytes written now would
    // corrupt or precede its answer, so the connection is only cut.
    const answering = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
    if (!socket.writable || answering) {
      socket.destroy();
      return;
    }
    const body: ErrorBody = {
      statusCode: refusal.status,
      code: refusal.code,
      message: refusal.message,
      // The request line may not have been read, so whether it was for /v1 is unknown: the body
      // carries OpenAI's shape as well, for the SDKs.
      error: { message: refusal.message, type: refusal.code, code: refusal.code },
    };
    const payload = JSON.stringify(body);
    socket.on('error', () => socket.destroy());
    const cut = setTimeout(() => socket.destroy(), LINGER_MS);
    cut.unref();
    socket.once('close', () => {
      clearTimeout(cut);
    });
    // The client is done sending: close once the answer has left.
    socket.once('end', () => {
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    });
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n` +
        'Connection: close\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(payload)}\r\n` +
        'Cache-Control: no-store\r\n' +
        extraHeaders +
        '\r\n' +
        payload,
    );
    // Whatever else arrives is read and dropped, so the socket never closes with data unread.
    // Node's parser lets go first: after a header timeout it would otherwise still turn the rest
    // of a slow request into one that reaches a route, though its client was told 408.
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
    socket.resume();
  };
}

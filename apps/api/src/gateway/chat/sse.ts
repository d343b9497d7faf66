import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * Server-sent events from a provider's streamed answer, as they arrive. Stopping early (at the
 * protocol's last event) leaves the rest of the body unread and open rather than destroying it,
 * so what remains can still be read and the connection reused (`finishReading`).
 */
export async function* readServerSentEvents(
  body: AsyncIterator<Buffer>,
): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  // Not `for await`: leaving that loop early would destroy the body and with it the connection.
  for (let read = await body.next(); read.done !== true; read = await body.next()) {
    parser.feed(decoder.decode(read.value, { stream: true }));
    while (pending.length > 0) yield pending.shift() as EventSourceMessage;
  }
  parser.feed(decoder.decode());
  while (pending.length > 0) yield pending.shift() as EventSourceMessage;
}

/** What is left of a finished answer is read only this far and this long before the cut. */
export const LEFTOVER_MAX_BYTES = 64 * 1024;
export const LEFTOVER_WAIT_MS = 1_000;

/**
 * Reads what follows a stream's last event (normally only the end of the chunked body), so the
 * keep-alive connection goes back to the pool rather than being closed: a closed one costs the
 * next streamed call a new connection (and a TLS handshake) before its first byte. A provider
 * that sends more than a little, or does not end soon, has its connection cut instead.
 */
export async function finishReading(
  body: AsyncIterator<Buffer>,
  destroy: () => void,
  limits = { maxBytes: LEFTOVER_MAX_BYTES, waitMs: LEFTOVER_WAIT_MS },
): Promise<void> {
  const cut = setTimeout(destroy, limits.waitMs);
  cut.unref();
  try {
    let size = 0;
    for (let read = await body.next(); read.done !== true; read = await body.next()) {
      size += read.value.length;
      if (size > limits.maxBytes) {
        destroy();
        return;
      }
    }
  } catch {
    // Cut by the timer or broken by the provider: the connection is closed either way.
  } finally {
    clearTimeout(cut);
  }
}

/** One server-sent event as Keyward writes it to its own callers. */
export const sseData = (data: unknown): string =>
  `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

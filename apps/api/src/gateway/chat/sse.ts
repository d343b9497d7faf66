import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** Server-sent events from a provider's streamed answer, as they arrive. */
export async function* readServerSentEvents(
  body: AsyncIterable<Buffer>,
): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift() as EventSourceMessage;
  }
  parser.feed(decoder.decode());
  while (pending.length > 0) yield pending.shift() as EventSourceMessage;
}

/** One server-sent event as Keyward writes it to its own callers. */
export const sseData = (data: unknown): string =>
  `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

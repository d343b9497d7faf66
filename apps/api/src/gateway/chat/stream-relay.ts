import { finishReading, readServerSentEvents, sseData } from './sse.js';
import { StreamFailed, type ChatProtocol } from './chat-protocol.js';
import { StreamTally } from './chat-types.js';
import type { UpstreamAnswer } from '../upstream-client.js';
import { hangUpCode } from '../upstream-failure.js';

export interface RelayOptions {
  answer: UpstreamAnswer;
  protocol: ChatProtocol;
  modelId: string;
  includeUsage: boolean;
  promptChars: number;
  signal: AbortSignal;
  /** Called once, however the stream ends, with what was used and any failure code. */
  onEnd(usage: { inputTokens: number; outputTokens: number }, failure: string | null): void;
}

/**
 * Passes a provider's streamed answer to the caller as OpenAI server-sent events, counting usage
 * on the way. A stream that breaks after the first byte cannot fall back any more, so the caller
 * gets an error event in OpenAI's shape instead of a silent cut.
 */
export async function* relayStream(options: RelayOptions): AsyncGenerator<string> {
  const tally = new StreamTally();
  let failure: string | null = null;
  /** The provider's answer reached its last event: its connection can be kept. */
  let answered = false;
  const body = options.answer.body[Symbol.asyncIterator]();
  try {
    for await (const chunk of options.protocol.streamChunks(
      readServerSentEvents(body),
      options.modelId,
      tally,
      options.includeUsage,
    )) {
      yield sseData(chunk);
    }
    answered = true;
    yield sseData('[DONE]');
  } catch (error) {
    if (options.signal.aborted) {
      failure = hangUpCode(options.signal);
      return;
    }
    failure = error instanceof StreamFailed ? 'upstream_error' : 'upstream_stream_broken';
    yield sseData({
      error: {
        message: 'The provider stopped in the middle of its answer',
        type: 'upstream_error',
        code: failure,
      },
    });
  } finally {
    if (options.signal.aborted && !failure) failure = hangUpCode(options.signal);
    const destroy = () => options.answer.body.destroy();
    // The caller's stream ends now; the rest of the provider's answer is read behind it.
    if (answered) void finishReading(body, destroy);
    else destroy();
    options.onEnd(tally.usage(options.promptChars), failure);
  }
}

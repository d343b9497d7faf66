import type { EventSourceMessage } from 'eventsource-parser';
import type { ChatRequest } from './chat-request.js';
import type { ChatCompletion, ChatCompletionChunk, StreamTally } from './chat-types.js';

export interface CompletionRead {
  completion: ChatCompletion;
  /** null when the provider did not report usage. */
  usage: { inputTokens: number; outputTokens: number } | null;
}

/** A provider's answer did not have the shape its protocol promises. */
export class MalformedAnswer extends Error {}

/** The provider reported an error in the middle of a streamed answer. */
export class StreamFailed extends Error {}

/** How Keyward talks to one family of chat APIs, in both directions. */
export interface ChatProtocol {
  /** The body to send upstream; throws AppException (400) for what this protocol cannot carry. */
  buildRequest(request: ChatRequest, upstreamModel: string, stream: boolean): unknown;
  readCompletion(answer: unknown, modelId: string): CompletionRead;
  /** Turns the provider's events into OpenAI chunks, tallying usage as they pass. */
  streamChunks(
    events: AsyncIterable<EventSourceMessage>,
    modelId: string,
    tally: StreamTally,
    includeUsage: boolean,
  ): AsyncGenerator<ChatCompletionChunk | Record<string, unknown>>;
}

import type { EventSourceMessage } from 'eventsource-parser';
import { isRecord } from '../../common/is-record.js';
import { MalformedAnswer, type ChatProtocol, type CompletionRead } from './chat-protocol.js';
import type { ChatRequest } from './chat-request.js';
import {
  reportedTokens,
  type ChatCompletion,
  type ChatCompletionChunk,
  type StreamTally,
} from './chat-types.js';

interface OpenAiUsage {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
}

/** OpenAI and the providers that copy its API: the request passes through nearly untouched. */
export const openAiProtocol: ChatProtocol = {
  buildRequest(request: ChatRequest, upstreamModel: string, stream: boolean): unknown {
    const body: Record<string, unknown> = { ...request, model: upstreamModel, stream };
    // Keyward's own field means nothing to the provider.
    delete body.fallbacks;
    delete body.stream_options;
    // Usage is asked for always, so streamed calls are counted exactly; the usage chunk is
    // dropped again on the way back if the caller did not ask for it.
    if (stream) body.stream_options = { ...request.stream_options, include_usage: true };
    return body;
  },

  readCompletion(answer: unknown, modelId: string): CompletionRead {
    if (!isRecord(answer) || !Array.isArray(answer.choices)) {
      throw new MalformedAnswer('no choices');
    }
    // Every choice is read as a chat message (to count tokens and to answer generate).
    if (!answer.choices.every((choice) => isRecord(choice) && isRecord(choice.message))) {
      throw new MalformedAnswer('a choice without a message');
    }
    const completion = { ...answer, model: modelId } as ChatCompletion;
    return { completion, usage: usageOf(answer.usage) };
  },

  async *streamChunks(
    events: AsyncIterable<EventSourceMessage>,
    modelId: string,
    tally: StreamTally,
    includeUsage: boolean,
  ): AsyncGenerator<ChatCompletionChunk | Record<string, unknown>> {
    for await (const event of events) {
      if (event.data === '[DONE]') return;
      let chunk: unknown;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        continue;
      }
      if (!isRecord(chunk)) continue;
      if (isRecord(chunk.error)) {
        yield chunk;
        continue;
      }
      const usage = usageOf(chunk.usage);
      if (usage) {
        tally.reported = true;
        tally.inputTokens = usage.inputTokens;
        tally.outputTokens = usage.outputTokens;
      }
      const choices = Array.isArray(chunk.choices) ? (chunk.choices as unknown[]) : [];
      for (const choice of choices) {
        const content = isRecord(choice) && isRecord(choice.delta) ? choice.delta.content : null;
        if (typeof content === 'string') tally.outputChars += content.length;
      }
      if (choices.length === 0 && usage && !includeUsage) continue;
      const relayed: Record<string, unknown> = { ...chunk, model: modelId };
      if (!includeUsage) delete relayed.usage;
      yield relayed;
    }
  },
};

function usageOf(value: unknown): { inputTokens: number; outputTokens: number } | null {
  if (!isRecord(value)) return null;
  const { prompt_tokens: input, completion_tokens: output } = value as OpenAiUsage;
  const inputTokens = reportedTokens(input);
  const outputTokens = reportedTokens(output);
  if (inputTokens === undefined || outputTokens === undefined) return null;
  return { inputTokens, outputTokens };
}

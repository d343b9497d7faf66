import type { EventSourceMessage } from 'eventsource-parser';
import { AppException, invalidField } from '../../common/app.exception.js';
import {
  MalformedAnswer,
  StreamFailed,
  type ChatProtocol,
  type CompletionRead,
} from './chat-protocol.js';
import { textOf, type ChatMessage, type ChatRequest } from './chat-request.js';
import {
  reportedTokens,
  type ChatCompletion,
  type ChatCompletionChunk,
  type StreamTally,
} from './chat-types.js';
import { isRecord } from '../../common/is-record.js';

/** Anthropic requires max_tokens; OpenAI callers often leave it out. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const FINISH_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

const unsupported = (what: string): AppException =>
  new AppException(400, 'validation_failed', `${what} cannot be sent to Anthropic through Keyward`);

/** OpenAI's tool calling, which this translation does not carry. */
const UNTRANSLATED_FIELDS = ['tools', 'tool_choice', 'functions', 'function_call'] as const;

type AnthropicContent =
  | { type: 'text'; text: string }
  | {
      type: 'image';
      source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
    };

/**
 * Anthropic's Messages API. System and developer messages become the top-level `system`; the
 * answer and its stream are rewritten into OpenAI's shapes so callers see one API.
 */
export const anthropicProtocol: ChatProtocol = {
  buildRequest(request: ChatRequest, upstreamModel: string, stream: boolean): unknown {
    if ((request.n ?? 1) > 1) throw unsupported('n greater than 1');
    // Refused rather than dropped: without them the answer is to another question (plain text
    // where the caller waits for a tool call or a JSON object), and it would look like success.
    for (const field of UNTRANSLATED_FIELDS) {
      if (request[field] !== undefined && request[field] !== null) throw unsupported(field);
    }
    if (isRecord(request.response_format) && request.response_format.type !== 'text') {
      throw unsupported('response_format other than text');
    }
    const system = request.messages
      .filter((message) => message.role === 'system' || message.role === 'developer')
      .map((message) => textOf(message.content))
      .filter(Boolean)
      .join('\n\n');
    const messages = request.messages
      .filter((message) => message.role !== 'system' && message.role !== 'developer')
      .map((message) => {
        if (message.role === 'tool') throw unsupported('Tool results');
        if (message.tool_calls !== undefined || message.function_call !== undefined) {
          throw unsupported('Assistant tool calls');
        }
        return { role: message.role, content: contentFor(message) };
      });
    if (messages.length === 0) {
      throw invalidField(
        'messages',
        'messages must hold at least one user message besides system messages',
      );
    }
    const stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
    return {
      model: upstreamModel,
      messages,
      max_tokens:
        request.max_completion_tokens ?? request.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      ...(system ? { system } : {}),
      // OpenAI's scale runs to 2, Anthropic's to 1.
      ...(typeof request.temperature === 'number'
        ? { temperature: Math.min(request.temperature, 1) }
        : {}),
      ...(typeof request.top_p === 'number' ? { top_p: request.top_p } : {}),
      ...(stop?.length ? { stop_sequences: stop } : {}),
      ...(request.user ? { metadata: { user_id: request.user } } : {}),
      ...(stream ? { stream: true } : {}),
    };
  },

  readCompletion(answer: unknown, modelId: string): CompletionRead {
    if (!isRecord(answer) || !Array.isArray(answer.content)) {
      throw new MalformedAnswer('no content');
    }
    const text = (answer.content as unknown[])
      .map((block) =>
        isRecord(block) && block.type === 'text'
          ? typeof block.text === 'string'
            ? block.text
            : ''
          : '',
      )
      .join('');
    const usage = usageOf(answer.usage);
    const completion: ChatCompletion = {
      id: typeof answer.id === 'string' ? answer.id : 'msg_unknown',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelId,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text },
          finish_reason: finishReason(answer.stop_reason),
        },
      ],
      ...(usage
        ? {
            usage: {
              prompt_tokens: usage.inputTokens,
              completion_tokens: usage.outputTokens,
              total_tokens: usage.inputTokens + usage.outputTokens,
            },
          }
        : {}),
    };
    return { completion, usage };
  },

  async *streamChunks(
    events: AsyncIterable<EventSourceMessage>,
    modelId: string,
    tally: StreamTally,
    includeUsage: boolean,
  ): AsyncGenerator<ChatCompletionChunk> {
    let id = 'msg_unknown';
    const created = Math.floor(Date.now() / 1000);
    const chunk = (
      delta: ChatCompletionChunk['choices'][number]['delta'],
      finish: string | null = null,
    ): ChatCompletionChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: modelId,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    for await (const event of events) {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        continue;
      }
      if (!isRecord(data)) continue;
      switch (data.type) {
        case 'message_start': {
          const message = isRecord(data.message) ? data.message : {};
          if (typeof message.id === 'string') id = message.id;
          const usage = isRecord(message.usage) ? message.usage : {};
          tally.inputTokens = reportedTokens(usage.input_tokens) ?? tally.inputTokens;
          yield chunk({ role: 'assistant', content: '' });
          break;
        }
        case 'content_block_delta': {
          const delta = isRecord(data.delta) ? data.delta : {};
          if (delta.type === 'text_delta' && typeof delta.text === 'string') {
            tally.outputChars += delta.text.length;
            yield chunk({ content: delta.text });
          }
          break;
        }
        case 'message_delta': {
          const usage = isRecord(data.usage) ? data.usage : {};
          const outputTokens = reportedTokens(usage.output_tokens);
          if (outputTokens !== undefined) {
            tally.outputTokens = outputTokens;
            tally.reported = true;
          }
          const delta = isRecord(data.delta) ? data.delta : {};
          yield chunk({}, finishReason(delta.stop_reason));
          break;
        }
        case 'message_stop':
          if (includeUsage) {
            yield {
              ...chunk({}),
              choices: [],
              usage: {
                prompt_tokens: tally.inputTokens,
                completion_tokens: tally.outputTokens,
                total_tokens: tally.inputTokens + tally.outputTokens,
              },
            };
          }
          return;
        case 'error':
          throw new StreamFailed('the provider reported an error mid-stream');
        default:
          // ping, content_block_start/stop: nothing for an OpenAI client.
          break;
      }
    }
  },
};

function contentFor(message: ChatMessage): string | AnthropicContent[] {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part): AnthropicContent => {
    if (part.type === 'text' && typeof part.text === 'string') {
      return { type: 'text', text: part.text };
    }
    if (part.type === 'image_url' && isRecord(part.image_url)) {
      const url = typeof part.image_url.url === 'string' ? part.image_url.url : '';
      const inline = /^data:([a-z]+\/[a-z0-9.+-]+);base64,(.+)$/i.exec(url);
      if (inline) {
        return {
          type: 'image',
          source: { type: 'base64', media_type: inline[1] ?? '', data: inline[2] ?? '' },
        };
      }
      if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
    }
    throw unsupported(`A content part of type "${part.type}"`);
  });
}

function finishReason(reason: unknown): string {
  return (typeof reason === 'string' && FINISH_REASONS[reason]) || 'stop';
}

function usageOf(value: unknown): { inputTokens: number; outputTokens: number } | null {
  if (!isRecord(value)) return null;
  const inputTokens = reportedTokens(value.input_tokens);
  const outputTokens = reportedTokens(value.output_tokens);
  if (inputTokens === undefined || outputTokens === undefined) return null;
  return { inputTokens, outputTokens };
}

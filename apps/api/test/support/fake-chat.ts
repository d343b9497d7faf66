import { randomBytes } from 'node:crypto';

/**
 * The chat half of the fake upstream: request validation, the deterministic reply and the two wire
 * shapes (OpenAI Chat Completions, Anthropic Messages), streamed or not. Pure functions only; the
 * server in fake-upstream.ts decides who gets them and writes them out.
 */

export type ChatFlavour = 'openai' | 'anthropic';

/** The most completion tokens any fake model accepts; more is the caller's fault (400). */
export const MAX_COMPLETION_TOKENS = 100_000;

export interface ContentPart {
  type: string;
  /** Present on `text` parts. */
  text?: string;
}
export type ChatContent = string | ContentPart[];
export interface ChatMessage {
  role: string;
  content: ChatContent;
}

/** The fields of a request body that decide the reply; a test can pass the body it sent. */
export interface ReplyInput {
  messages: readonly ChatMessage[];
  /** Anthropic's top-level system prompt. */
  system?: ChatContent;
  max_tokens?: number;
  max_completion_tokens?: number;
}

export interface ExpectedReply {
  /** The assistant text, exactly as the non-streamed answer carries it. */
  content: string;
  promptTokens: number;
  completionTokens: number;
  /** Cut short by max_tokens: finish_reason 'length' / stop_reason 'max_tokens'. */
  truncated: boolean;
}

export interface ChatRequest extends ReplyInput {
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

/** Whitespace-separated words; the fake's idea of a token. */
export function countTokens(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

/** The text of a message's content; text parts are joined with a space, other parts ignored. */
export function contentText(content: ChatContent): string {
  if (typeof content === 'string') return content;
  return content.flatMap((part) => (part.text === undefined ? [] : [part.text])).join(' ');
}

/** `Echo: <last user message>`, cut to max_tokens words, with the usage the fake reports. */
export function expectedReply(request: ReplyInput): ExpectedReply {
  const lastUser = request.messages.findLast((message) => message.role === 'user');
  const full = `Echo: ${lastUser ? contentText(lastUser.content) : ''}`;
  const limit = request.max_completion_tokens ?? request.max_tokens;
  const words = wordPieces(full);
  const truncated = limit !== undefined && words.length > limit;
  const content = truncated ? words.slice(0, limit).join('').trimEnd() : full;
  const prompts = request.messages.map((message) => message.content);
  if (request.system !== undefined) prompts.push(request.system);
  return {
    content,
    promptTokens: prompts.reduce((sum, prompt) => sum + countTokens(contentText(prompt)), 0),
    completionTokens: countTokens(content),
    truncated,
  };
}

/** Each word with the whitespace after it, so the pieces concatenate back to `text`. */
function wordPieces(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/).filter((piece) => piece !== '');
}

interface ChatErrors {
  notJson: string;
  model: string;
  messagesMissing: string;
  messagesEmpty: string;
  content(index: number): string;
  /** Undefined when the role is accepted. */
  role(index: number, role: string): string | undefined;
  system: string;
  maxTokensMissing?: string;
  maxTokensInvalid(field: string): string;
}

const OPENAI_ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

// Worded the way each provider words them, close enough for a reader of logs.
const ERRORS: Record<ChatFlavour, ChatErrors> = {
  openai: {
    notJson:
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    model: 'you must provide a model parameter',
    messagesMissing: "Missing required parameter: 'messages'.",
    messagesEmpty:
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    content: (index) =>
      `Invalid type for 'messages[${index}].content': expected one of a string or array of objects.`,
    role: (index, role) =>
      OPENAI_ROLES.includes(role)
        ? undefined
        : `Invalid value for 'messages[${index}].role': '${role}'. Supported values are: ${OPENAI_ROLES.map((r) => `'${r}'`).join(', ')}.`,
    system: "Unrecognized request argument supplied: 'system'",
    maxTokensInvalid: (field) =>
      `Invalid '${field}': expected an integer greater than or equal to 1.`,
  },
  anthropic: {
    notJson: 'There was an error parsing the body of your request: it is not valid JSON.',
    model: 'model: Field required',
    messagesMissing: 'messages: Field required',
    messagesEmpty: 'messages: at least one message is required',
    content: (index) =>
      `messages.${index}.content: Input should be a valid string or a list of content blocks`,
    role: (index, role) => {
      if (role === 'user' || role === 'assistant') return undefined;
      return role === 'system'
        ? `messages.${index}.role: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`
        : `messages.${index}.role: Input should be 'user' or 'assistant'`;
    },
    system: 'system: Input should be a valid string or a list of text blocks',
    maxTokensMissing: 'max_tokens: Field required',
    maxTokensInvalid: (field) => `${field}: Input should be an integer greater than or equal to 1`,
  },
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string, or an array of `{ type }` parts where text parts carry a string `text`. */
function parseContent(content: unknown): ChatContent | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts: ContentPart[] = [];
  for (const part of content) {
    if (!isRecord(part) || typeof part.type !== 'string') return undefined;
    const { type, text } = part;
    if (type !== 'text') {
      parts.push({ type });
    } else if (typeof text === 'string') {
      parts.push({ type, text });
    } else {
      return undefined;
    }
  }
  return parts;
}

/** The request as the provider would accept it, or the provider's reason (400) for refusing it. */
export function parseChatRequest(
  flavour: ChatFlavour,
  body: string,
): ChatRequest | { invalid: string } {
  const errors = ERRORS[flavour];
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { invalid: errors.notJson };
  }
  if (!isRecord(json)) return { invalid: errors.notJson };
  const { model, messages, system, stream, stream_options: streamOptions } = json;
  if (typeof model !== 'string' || model === '') return { invalid: errors.model };

  if (messages === undefined) return { invalid: errors.messagesMissing };
  if (!Array.isArray(messages)) return { invalid: errors.content(0) };
  if (messages.length === 0) return { invalid: errors.messagesEmpty };
  const parsed: ChatMessage[] = [];
  for (const [index, message] of messages.entries()) {
    const role = isRecord(message) ? message.role : undefined;
    const roleError = errors.role(index, typeof role === 'string' ? role : String(role));
    if (roleError) return { invalid: roleError };
    const content = isRecord(message) ? parseContent(message.content) : undefined;
    if (typeof role !== 'string' || content === undefined) {
      return { invalid: errors.content(index) };
    }
    parsed.push({ role, content });
  }

  let systemPrompt: ChatContent | undefined;
  if (system !== undefined) {
    systemPrompt = flavour === 'anthropic' ? parseContent(system) : undefined;
    if (systemPrompt === undefined) return { invalid: errors.system };
  }

  const limit = parseLimit(flavour, json);
  if (typeof limit === 'object') return limit;

  return {
    model,
    messages: parsed,
    ...(systemPrompt === undefined ? {} : { system: systemPrompt }),
    ...(limit === undefined ? {} : { max_tokens: limit }),
    stream: stream === true,
    includeUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
  };
}

/** max_tokens (or OpenAI's max_completion_tokens), if given and acceptable. */
function parseLimit(
  flavour: ChatFlavour,
  json: Record<string, unknown>,
): number | undefined | { invalid: string } {
  const errors = ERRORS[flavour];
  const field =
    flavour === 'openai' && json.max_completion_tokens !== undefined
      ? 'max_completion_tokens'
      : 'max_tokens';
  const limit = json[field];
  if (limit === undefined) {
    return errors.maxTokensMissing ? { invalid: errors.maxTokensMissing } : undefined;
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    return { invalid: errors.maxTokensInvalid(field) };
  }
  if (limit > MAX_COMPLETION_TOKENS) {
    return {
      invalid: `${field} is too large: ${limit}. This model supports at most ${MAX_COMPLETION_TOKENS} completion tokens, whereas you provided ${limit}.`,
    };
  }
  return limit;
}

const newId = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;
const sse = (data: unknown, event?: string): string =>
  `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

/** Token counts a provider reports, when they are not the reply's own. */
export type ReportedUsage = Pick<ExpectedReply, 'promptTokens' | 'completionTokens'>;

/** What the `absurd` marker's provider reports: a fraction, and more than any column holds. */
export const ABSURD_USAGE: ReportedUsage = { promptTokens: 2.5, completionTokens: 1e13 };

/** The non-streamed answer body. */
export function chatCompletion(
  flavour: ChatFlavour,
  request: ChatRequest,
  reported?: ReportedUsage,
): unknown {
  const reply = { ...expectedReply(request), ...reported };
  if (flavour === 'anthropic') {
    return {
      id: newId('msg_'),
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: [{ type: 'text', text: reply.content }],
      stop_reason: reply.truncated ? 'max_tokens' : 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: reply.promptTokens, output_tokens: reply.completionTokens },
    };
  }
  return {
    id: newId('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content },
        finish_reason: reply.truncated ? 'length' : 'stop',
      },
    ],
    usage: openAiUsage(reply),
  };
}

const openAiUsage = (reply: ExpectedReply): Record<string, number> => ({
  prompt_tokens: reply.promptTokens,
  completion_tokens: reply.completionTokens,
  total_tokens: reply.promptTokens + reply.completionTokens,
});

/** The streamed answer as server-sent event frames, one word per delta. */
export function chatStream(
  flavour: ChatFlavour,
  request: ChatRequest,
  reported?: ReportedUsage,
): string[] {
  const reply = { ...expectedReply(request), ...reported };
  const pieces = wordPieces(reply.content);
  return flavour === 'anthropic'
    ? anthropicStream(request, reply, pieces)
    : openAiStream(request, reply, pieces);
}

function openAiStream(request: ChatRequest, reply: ExpectedReply, pieces: string[]): string[] {
  const head = {
    id: newId('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  // With include_usage every chunk carries `usage: null` until the last, as OpenAI does.
  const usage = request.includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finishReason: string | null = null): string =>
    sse({ ...head, choices: [{ index: 0, delta, finish_reason: finishReason }], ...usage });
  return [
    chunk({ role: 'assistant', content: '' }),
    ...pieces.map((piece) => chunk({ content: piece })),
    chunk({}, reply.truncated ? 'length' : 'stop'),
    ...(request.includeUsage ? [sse({ ...head, choices: [], usage: openAiUsage(reply) })] : []),
    'data: [DONE]\n\n',
  ];
}

function anthropicStream(request: ChatRequest, reply: ExpectedReply, pieces: string[]): string[] {
  const event = (type: string, fields: object = {}): string => sse({ type, ...fields }, type);
  return [
    event('message_start', {
      message: {
        id: newId('msg_'),
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: reply.promptTokens, output_tokens: 1 },
      },
    }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    event('ping'),
    ...pieces.map((text) =>
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
    ),
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: reply.truncated ? 'max_tokens' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: reply.completionTokens },
    }),
    event('message_stop'),
  ];
}

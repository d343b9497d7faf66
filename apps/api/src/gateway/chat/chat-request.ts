import type { FieldError } from '@keyward/shared';
import { z } from 'zod';
import { AppException, bodyNotAnObject } from '../../common/app.exception.js';
import { isRecord } from '../../common/is-record.js';

const contentPart = z.looseObject({ type: z.string().max(50) });

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart).max(1000), z.null()]).optional(),
  name: z.string().max(200).optional(),
});

const optionalNumber = (min: number, max: number) => z.number().min(min).max(max).nullish();

/**
 * The OpenAI Chat Completions request, checked on the fields Keyward reads or translates. Other
 * fields (tools, response_format, seed…) pass through to OpenAI-shaped providers untouched, so
 * clients can use features Keyward does not know about yet.
 */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(message).min(1, 'messages must hold at least one message').max(10_000),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  temperature: optionalNumber(0, 2),
  top_p: optionalNumber(0, 1),
  n: z.number().int().min(1).max(16).nullish(),
  stop: z.union([z.string().max(500), z.array(z.string().max(500)).max(4)]).nullish(),
  user: z.string().max(256).nullish(),
  /** Keyward's own: models to try, in order, when the requested one cannot serve. */
  fallbacks: z.array(z.string().min(1).max(200)).max(5).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = ChatRequest['messages'][number];

export function parseChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body)) throw bodyNotAnObject();
  const parsed = chatRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const byField = new Map<string, string[]>();
  for (const issue of parsed.error.issues) {
    const field = issue.path.join('.') || '(body)';
    byField.set(field, [...(byField.get(field) ?? []), issue.message]);
  }
  const errors: FieldError[] = [...byField].map(([field, messages]) => ({ field, messages }));
  throw new AppException(
    400,
    'validation_failed',
    `Invalid chat request: ${errors.map((e) => `${e.field}: ${e.messages.join(', ')}`).join('; ')}`,
    errors,
  );
}

/** The text of a message, whichever form its content takes. */
export function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n');
}

/** The OpenAI Chat Completions answer, which every chat route of Keyward returns. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string | null; [field: string]: unknown };
    finish_reason: string | null;
    [field: string]: unknown;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  [field: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string | null; [field: string]: unknown };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  [field: string]: unknown;
}

/**
 * What a streamed answer used, gathered while it passes through. Providers that do not report
 * usage get an estimate from the text (about four characters a token), flagged as such.
 */
export class StreamTally {
  inputTokens = 0;
  outputTokens = 0;
  reported = false;
  /** Characters of generated text, for the estimate. */
  outputChars = 0;

  usage(promptChars: number): { inputTokens: number; outputTokens: number } {
    if (this.reported) return { inputTokens: this.inputTokens, outputTokens: this.outputTokens };
    return {
      inputTokens: estimateTokens(promptChars),
      outputTokens: estimateTokens(this.outputChars),
    };
  }
}

export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

/**
 * The most tokens one answer is counted for: the largest value the usage tables' integer
 * columns hold. No real answer comes near it.
 */
export const MAX_REPORTED_TOKENS = 2_147_483_647;

/**
 * A token count as a provider reported it, made a whole number in range, or undefined when it
 * is not a number at all. Providers are outside Keyward's control (and a custom base URL can
 * point anywhere): a fraction or an absurd figure is counted as the nearest sane one rather
 * than carried into costs, quotas and the usage tables.
 */
export function reportedTokens(value: unknown): number | undefined {
  if (typeof value !== 'number' || Number.isNaN(value)) return undefined;
  return Math.min(MAX_REPORTED_TOKENS, Math.max(0, Math.round(value)));
}

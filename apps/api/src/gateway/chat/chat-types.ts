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

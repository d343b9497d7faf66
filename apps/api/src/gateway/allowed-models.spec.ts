import { describe, expect, it } from '@jest/globals';
import { isModelAllowed } from './allowed-models.js';

describe('isModelAllowed', () => {
  it('allows everything when the list is empty', () => {
    expect(isModelAllowed([], 'openai/gpt-4o')).toBe(true);
  });

  it('matches exact ids and whole providers, nothing else', () => {
    const allowed = ['openai/gpt-4o-mini', 'anthropic/*'];
    expect(isModelAllowed(allowed, 'openai/gpt-4o-mini')).toBe(true);
    expect(isModelAllowed(allowed, 'anthropic/claude-sonnet-4-0')).toBe(true);
    expect(isModelAllowed(allowed, 'openai/gpt-4o')).toBe(false);
    expect(isModelAllowed(allowed, 'openai/gpt-4o-mini-2')).toBe(false);
    expect(isModelAllowed(allowed, 'anthropicx/claude')).toBe(false);
    expect(isModelAllowed(['deepinfra/*'], 'deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct')).toBe(
      true,
    );
  });
});

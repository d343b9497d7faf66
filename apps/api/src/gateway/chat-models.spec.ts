import { describe, expect, it } from '@jest/globals';
import { costMicros, defaultChatModel, resolveChatModel } from './chat-models.js';

describe('chat models', () => {
  it('resolves catalogue ids, keeping slashes in the provider’s own name', () => {
    const model = resolveChatModel('deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct');
    expect(model.provider).toBe('deepinfra');
    expect(model.upstreamName).toBe('meta-llama/Meta-Llama-3.1-8B-Instruct');
    expect(model.endpoint).toEqual({ protocol: 'openai', path: '/v1/openai/chat/completions' });
    expect(resolveChatModel('anthropic/claude-sonnet-4-0').endpoint.protocol).toBe('anthropic');
  });

  it('explains unknown ids, bare ids and models that cannot chat', () => {
    expect(() => resolveChatModel('gpt-4o-mini')).toThrow(/provider\/model/);
    expect(() => resolveChatModel('acme/model')).toThrow(/Unknown model/);
    expect(() => resolveChatModel('openai/gpt-9')).toThrow(/Unknown model/);
    expect(() => resolveChatModel('openai/text-embedding-3-small')).toThrow(/cannot chat/);
    expect(() => resolveChatModel('runway/gen4_turbo')).toThrow(/cannot chat/);
  });

  it('picks each chat provider’s first chat model as its stand-in, and none for video', () => {
    expect(defaultChatModel('openai')?.id).toBe('openai/gpt-4o-mini');
    expect(defaultChatModel('runway')).toBeNull();
  });

  it('prices in whole micro-dollars, rounding up, exact on whole sums', () => {
    const mini = resolveChatModel('openai/gpt-4o-mini').info; // 0.15 in, 0.6 out
    expect(costMicros(mini, 1_000_000, 0)).toBe(150_000);
    expect(costMicros(mini, 40, 41)).toBe(31); // 6 + 24.6
    expect(costMicros(mini, 20, 5)).toBe(6); // exactly 3 + 3: no float creep upwards
    expect(costMicros(mini, 1, 0)).toBe(1);
    expect(costMicros(mini, 0, 0)).toBe(0);
  });
});

import type { ProviderInfo } from '@keyward/shared';

/**
 * A soft check of a pasted key against the provider's published shape. It never blocks: formats
 * change, and the server verifies the key with the provider anyway.
 */
export function keyHintWarning(provider: ProviderInfo | undefined, key: string): string | null {
  const pattern = provider?.keyHint.pattern;
  if (!provider || !pattern || key.trim() === '') return null;
  let matches: boolean;
  try {
    matches = new RegExp(pattern).test(key.trim());
  } catch {
    return null;
  }
  return matches
    ? null
    : `This does not look like a key for ${provider.name}. ${provider.keyHint.description}`;
}

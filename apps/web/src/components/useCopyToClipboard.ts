import { useEffect, useState } from 'react';

export type CopyState = 'idle' | 'copied' | 'failed';

/**
 * Copies text to the clipboard and says how it went for a moment. Where the clipboard is refused
 * (no permission, an insecure origin), `selectForManualCopy` selects the text instead, so the
 * person is one keystroke from copying it themselves.
 */
export function useCopyToClipboard(
  text: string,
  selectForManualCopy: () => void,
): { state: CopyState; copy: () => Promise<void> } {
  const [state, setState] = useState<CopyState>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => {
      setState('idle');
    }, 2500);
    return () => {
      clearTimeout(timer);
    };
  }, [state]);

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      selectForManualCopy();
      setState('failed');
    }
  }

  return { state, copy };
}

import { useEffect, useId, useRef, useState, type ReactElement } from 'react';

type CopyState = 'idle' | 'copied' | 'failed';

/** A code sample with a copy button; if the clipboard is unavailable the code is selected. */
export function CodeBlock({
  label,
  language,
  code,
  testId,
}: {
  label: string;
  language: string;
  code: string;
  testId?: string;
}): ReactElement {
  const labelId = useId();
  const codeRef = useRef<HTMLElement>(null);
  const [copy, setCopy] = useState<CopyState>('idle');

  useEffect(() => {
    if (copy === 'idle') return;
    const timer = setTimeout(() => {
      setCopy('idle');
    }, 2500);
    return () => {
      clearTimeout(timer);
    };
  }, [copy]);

  async function copyCode(): Promise<void> {
    try {
      await navigator.clipboard.writeText(code);
      setCopy('copied');
    } catch {
      const element = codeRef.current;
      const selection = window.getSelection();
      if (element && selection) {
        const range = document.createRange();
        range.selectNodeContents(element);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setCopy('failed');
    }
  }

  return (
    <figure className="code-block" aria-labelledby={labelId}>
      <figcaption className="code-block__header">
        <span id={labelId} className="code-block__label">
          {label}
        </span>
        <span className="code-block__status" role="status">
          {copy === 'failed' && 'Selected: press Ctrl+C'}
        </span>
        <button
          type="button"
          className="button button--secondary button--small code-block__copy"
          aria-label={copy === 'copied' ? `Copied ${label}` : `Copy ${label}`}
          onClick={() => void copyCode()}
        >
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </figcaption>
      <pre className="code-block__pre">
        <code ref={codeRef} className={`language-${language}`} data-testid={testId}>
          {code}
        </code>
      </pre>
    </figure>
  );
}

import { useId, useRef, type ReactElement } from 'react';
import { useCopyToClipboard } from '../../components/useCopyToClipboard';

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
  const { state: copy, copy: copyCode } = useCopyToClipboard(code, () => {
    const element = codeRef.current;
    const selection = window.getSelection();
    if (element && selection) {
      const range = document.createRange();
      range.selectNodeContents(element);
      selection.removeAllRanges();
      selection.addRange(range);
    }
  });

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

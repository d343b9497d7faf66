import { useId, useRef, type ReactElement } from 'react';
import { useCopyToClipboard } from './useCopyToClipboard';

/**
 * A secret shown once (a new API key, a webhook signing secret): read-only, selected on focus,
 * with a copy button that falls back to selecting the text when the clipboard is refused.
 */
export function SecretField({
  label,
  value,
  noun,
  testId,
}: {
  label: string;
  value: string;
  /** What the secret is called in the hint, e.g. "key". */
  noun: string;
  testId: string;
}): ReactElement {
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const { state: copy, copy: copyValue } = useCopyToClipboard(value, () => {
    inputRef.current?.select();
  });

  return (
    <div className="field">
      <label className="field__label" htmlFor={inputId}>
        {label}
      </label>
      <div className="secret-field">
        <input
          ref={inputRef}
          id={inputId}
          className="input mono secret-field__input"
          readOnly
          value={value}
          spellCheck={false}
          autoComplete="off"
          data-testid={testId}
          onFocus={(event) => {
            event.currentTarget.select();
          }}
        />
        <button
          type="button"
          className="button button--primary secret-field__copy"
          data-autofocus
          onClick={() => void copyValue()}
        >
          {copy === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="field__hint" role="status">
        {copy === 'copied' && 'Copied to the clipboard.'}
        {copy === 'failed' &&
          `Could not reach the clipboard: the ${noun} is selected, copy it now.`}
      </p>
    </div>
  );
}

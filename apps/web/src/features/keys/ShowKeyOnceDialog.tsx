import { useEffect, useId, useRef, useState, type ReactElement } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';
import { formatDateTime } from '../../app/format';

export interface RevealedKey {
  name: string;
  key: string;
  /** After a regeneration: until when the previous secret keeps working. */
  previousKeyExpiresAt?: string | null;
  regenerated: boolean;
}

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * Shows a plaintext key once. The key exists only in the parent's state while this is mounted;
 * closing unmounts it, and the parent drops its copy, so nothing is left in the DOM or in memory
 * the app can reach.
 */
export function ShowKeyOnceDialog({
  revealed,
  onClose,
}: {
  revealed: RevealedKey;
  onClose: () => void;
}): ReactElement {
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<CopyState>('idle');

  useEffect(() => {
    if (copy !== 'copied') return;
    const timer = setTimeout(() => {
      setCopy('idle');
    }, 2500);
    return () => {
      clearTimeout(timer);
    };
  }, [copy]);

  async function copyKey(): Promise<void> {
    try {
      await navigator.clipboard.writeText(revealed.key);
      setCopy('copied');
    } catch {
      // No clipboard permission: select the text so Ctrl+C / ⌘C is one keystroke away.
      inputRef.current?.select();
      setCopy('failed');
    }
  }

  const graceUntil = revealed.previousKeyExpiresAt;
  return (
    <Dialog
      title={revealed.regenerated ? 'Your regenerated key' : 'Your new API key'}
      description={
        <>
          <strong>{revealed.name}</strong> is ready. Copy the key and store it somewhere safe.
        </>
      }
      onClose={onClose}
      size="medium"
      hideCloseButton
    >
      <div className="secret-warning" role="note">
        <strong>This key will not be shown again.</strong> Keyward keeps only a hash of it; if you
        lose it, regenerate the key.
      </div>
      <div className="field">
        <label className="field__label" htmlFor={inputId}>
          API key
        </label>
        <div className="secret-field">
          <input
            ref={inputRef}
            id={inputId}
            className="input mono secret-field__input"
            readOnly
            value={revealed.key}
            spellCheck={false}
            autoComplete="off"
            data-testid="revealed-key"
            onFocus={(event) => {
              event.currentTarget.select();
            }}
          />
          <button
            type="button"
            className="button button--primary secret-field__copy"
            data-autofocus
            onClick={() => void copyKey()}
          >
            {copy === 'copied' ? 'Copied' : 'Copy'}
          </button>
        </div>
        <p className="field__hint" role="status">
          {copy === 'copied' && 'Copied to the clipboard.'}
          {copy === 'failed' && 'Could not reach the clipboard: the key is selected, copy it now.'}
        </p>
      </div>
      {revealed.regenerated && (
        <p className="dialog__text">
          {graceUntil
            ? `The previous key keeps working until ${formatDateTime(graceUntil)}.`
            : 'The previous key has stopped working.'}
        </p>
      )}
      <DialogActions>
        <button type="button" className="button button--secondary" onClick={onClose}>
          I have saved it
        </button>
      </DialogActions>
    </Dialog>
  );
}

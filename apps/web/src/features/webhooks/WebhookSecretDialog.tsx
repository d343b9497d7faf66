import { useId, useRef, useState, type ReactElement } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';

/**
 * Shows the webhook's signing secret once, like a new API key. The secret exists only in the
 * parent's state while this is mounted; closing unmounts it and the parent drops it.
 */
export function WebhookSecretDialog({
  secret,
  rotated,
  onClose,
}: {
  secret: string;
  rotated: boolean;
  onClose: () => void;
}): ReactElement {
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');

  async function copySecret(): Promise<void> {
    try {
      await navigator.clipboard.writeText(secret);
      setCopy('copied');
    } catch {
      inputRef.current?.select();
      setCopy('failed');
    }
  }

  return (
    <Dialog
      title={rotated ? 'Your new signing secret' : 'Webhook signing secret'}
      description="Every delivery carries an X-Keyward-Signature header made with this secret. Verify it before trusting a payload."
      onClose={onClose}
      hideCloseButton
    >
      <div className="secret-warning" role="note">
        <strong>This secret will not be shown again.</strong>{' '}
        {rotated
          ? 'The previous secret no longer signs deliveries.'
          : 'If you lose it, rotate the secret.'}
      </div>
      <div className="field">
        <label className="field__label" htmlFor={inputId}>
          Signing secret
        </label>
        <div className="secret-field">
          <input
            ref={inputRef}
            id={inputId}
            className="input mono secret-field__input"
            readOnly
            value={secret}
            spellCheck={false}
            autoComplete="off"
            data-testid="webhook-secret"
            onFocus={(event) => {
              event.currentTarget.select();
            }}
          />
          <button
            type="button"
            className="button button--primary secret-field__copy"
            data-autofocus
            onClick={() => void copySecret()}
          >
            {copy === 'copied' ? 'Copied' : 'Copy'}
          </button>
        </div>
        <p className="field__hint" role="status">
          {copy === 'copied' && 'Copied to the clipboard.'}
          {copy === 'failed' &&
            'Could not reach the clipboard: the secret is selected, copy it now.'}
        </p>
      </div>
      <DialogActions>
        <button type="button" className="button button--secondary" onClick={onClose}>
          I have saved it
        </button>
      </DialogActions>
    </Dialog>
  );
}

import type { ReactElement } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';
import { SecretField } from '../../components/SecretField';
import { formatDateTime } from '../../app/format';

export interface RevealedKey {
  name: string;
  key: string;
  /** After a regeneration: until when the previous secret keeps working. */
  previousKeyExpiresAt?: string | null;
  regenerated: boolean;
}

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
      <SecretField label="API key" value={revealed.key} noun="key" testId="revealed-key" />
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

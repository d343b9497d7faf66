import type { ReactElement } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';
import { SecretField } from '../../components/SecretField';

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
      <SecretField label="Signing secret" value={secret} noun="secret" testId="webhook-secret" />
      <DialogActions>
        <button type="button" className="button button--secondary" onClick={onClose}>
          I have saved it
        </button>
      </DialogActions>
    </Dialog>
  );
}

import type { ReactElement, ReactNode } from 'react';
import { errorMessage } from '../api/messages';
import { Dialog, DialogActions } from './Dialog';
import { Alert } from './Feedback';

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pendingLabel: string;
  tone?: 'danger' | 'primary';
  pending: boolean;
  error: unknown;
  onConfirm: () => void;
  onClose: () => void;
}

/** "Are you sure?" for destructive actions; focus starts on Cancel, the safe choice. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  pendingLabel,
  tone = 'danger',
  pending,
  error,
  onConfirm,
  onClose,
}: ConfirmDialogProps): ReactElement {
  return (
    <Dialog title={title} onClose={onClose} size="small">
      {error !== null && error !== undefined && (
        <Alert title={`Could not ${confirmLabel.toLowerCase()}`}>{errorMessage(error)}</Alert>
      )}
      <div className="dialog__text">{children}</div>
      <DialogActions>
        <button type="button" className="button button--secondary" data-autofocus onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className={`button ${tone === 'danger' ? 'button--danger' : 'button--primary'}`}
          disabled={pending}
          onClick={onConfirm}
        >
          {pending ? pendingLabel : confirmLabel}
        </button>
      </DialogActions>
    </Dialog>
  );
}

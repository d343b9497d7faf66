import type { ApiKeyResponse, RegeneratedApiKeyResponse } from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { errorMessage } from '../../api/messages';
import { Dialog, DialogActions } from '../../components/Dialog';
import { Alert } from '../../components/Feedback';
import { useRegenerateApiKey } from './hooks';
import { GRACE_PERIODS } from './key-form';

interface RegenerateKeyDialogProps {
  apiKey: ApiKeyResponse;
  onClose: () => void;
  onRegenerated: (regenerated: RegeneratedApiKeyResponse) => void;
}

export function RegenerateKeyDialog({
  apiKey,
  onClose,
  onRegenerated,
}: RegenerateKeyDialogProps): ReactElement {
  const regenerate = useRegenerateApiKey();
  const [grace, setGrace] = useState<number>(0);

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    try {
      const regenerated = await regenerate.mutateAsync({
        id: apiKey.id,
        gracePeriodSeconds: grace,
      });
      regenerate.reset();
      onRegenerated(regenerated);
    } catch {
      // Shown from regenerate.error below.
    }
  }

  return (
    <Dialog
      title={`Regenerate ${apiKey.name}`}
      description="A new secret replaces the current one. Scopes, limits and expiry stay the same."
      onClose={onClose}
    >
      <form className="form" onSubmit={(event) => void handleSubmit(event)}>
        {regenerate.isError && (
          <Alert title="Could not regenerate the key">{errorMessage(regenerate.error)}</Alert>
        )}
        <fieldset className="fieldset">
          <legend className="fieldset__legend">Keep the old key working for</legend>
          <div className="choice-list choice-list--grid">
            {GRACE_PERIODS.map((period) => (
              <label key={period.seconds} className="choice">
                <input
                  type="radio"
                  name="grace"
                  value={period.seconds}
                  checked={grace === period.seconds}
                  data-autofocus={grace === period.seconds ? true : undefined}
                  onChange={() => {
                    setGrace(period.seconds);
                  }}
                />
                <span className="choice__text">
                  <span className="choice__title">{period.label}</span>
                  <span className="choice__hint">{period.hint}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <DialogActions>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Cancel
          </button>
          <button className="button button--primary" disabled={regenerate.isPending}>
            {regenerate.isPending ? 'Regenerating…' : 'Regenerate key'}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

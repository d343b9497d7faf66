import {
  UpdateProviderKeyRequest,
  type ProviderInfo,
  type ProviderKeyResponse,
} from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { Dialog, DialogActions } from '../../components/Dialog';
import { Alert } from '../../components/Feedback';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  validateRequest,
  type FieldErrors,
} from '../auth/validation';
import { useUpdateProviderKey } from './hooks';
import { ProviderKeyField } from './ProviderKeyField';

interface ReplaceKeyDialogProps {
  credential: ProviderKeyResponse;
  provider: ProviderInfo | undefined;
  onClose: () => void;
}

export function ReplaceKeyDialog({
  credential,
  provider,
  onClose,
}: ReplaceKeyDialogProps): ReactElement {
  const replace = useUpdateProviderKey();
  const [apiKey, setApiKey] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    replace.reset();
    const result = await validateRequest(UpdateProviderKeyRequest, { apiKey: apiKey.trim() });
    if (!result.ok || !apiKey.trim()) {
      setErrors(result.ok ? { apiKey: ['Paste the new key.'] } : result.errors);
      focusFirstInvalid(form);
      return;
    }
    setErrors({});
    try {
      await replace.mutateAsync({ id: credential.id, input: result.value });
      onClose();
    } catch (error) {
      if (error instanceof ApiError) setErrors(fieldErrorsFromApi(error.fieldErrors));
    }
  }

  return (
    <Dialog
      title={`Replace ${credential.name}`}
      description={
        <>
          The new key replaces <code className="key-mask">{credential.maskedKey}</code> and is
          checked with {provider?.name ?? credential.provider} right away.
        </>
      }
      onClose={onClose}
    >
      <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
        {replace.isError && Object.keys(errors).length === 0 && (
          <Alert title="Could not replace the key">{errorMessage(replace.error)}</Alert>
        )}
        <ProviderKeyField
          label="New API key"
          provider={provider}
          value={apiKey}
          onChange={setApiKey}
          errors={errors.apiKey}
          autoFocus
        />
        <DialogActions>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Cancel
          </button>
          <button className="button button--primary" disabled={replace.isPending}>
            {replace.isPending ? 'Checking…' : 'Replace key'}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

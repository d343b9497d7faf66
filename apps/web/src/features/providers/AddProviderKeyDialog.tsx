import {
  CreateProviderKeyRequest,
  PROVIDER_IDS,
  type ProviderId,
  type ProviderInfo,
} from '@keyward/shared';
import { useId, useState, type ReactElement, type SubmitEvent } from 'react';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { Dialog, DialogActions } from '../../components/Dialog';
import { Alert } from '../../components/Feedback';
import { TextField } from '../../components/TextField';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  validateRequest,
  type FieldErrors,
} from '../auth/validation';
import { useCreateProviderKey } from './hooks';
import { ProviderKeyField } from './ProviderKeyField';

interface AddProviderKeyDialogProps {
  catalogue: ProviderInfo[];
  initialProvider: ProviderId | undefined;
  onClose: () => void;
}

function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}

export function AddProviderKeyDialog({
  catalogue,
  initialProvider,
  onClose,
}: AddProviderKeyDialogProps): ReactElement {
  const selectId = useId();
  const create = useCreateProviderKey();
  const [provider, setProvider] = useState<ProviderId>(
    initialProvider ?? catalogue[0]?.id ?? 'openai',
  );
  const info = catalogue.find((entry) => entry.id === provider);
  const [name, setName] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    create.reset();
    const plain = {
      provider,
      name: name.trim() || `${info?.name ?? provider} key`,
      apiKey: apiKey.trim(),
    };
    const result = await validateRequest(CreateProviderKeyRequest, plain);
    if (!result.ok) {
      setErrors(apiKey.trim() ? result.errors : { ...result.errors, apiKey: ['Paste the key.'] });
      focusFirstInvalid(form);
      return;
    }
    setErrors({});
    try {
      await create.mutateAsync(result.value);
      onClose();
    } catch (error) {
      if (error instanceof ApiError) setErrors(fieldErrorsFromApi(error.fieldErrors));
    }
  }

  return (
    <Dialog
      title="Add provider key"
      description="Keyward encrypts the key and checks it with the provider before saving."
      onClose={onClose}
    >
      <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
        {create.isError && Object.keys(errors).length === 0 && (
          <Alert title="Could not add the key">{errorMessage(create.error)}</Alert>
        )}
        <div className="field">
          <label className="field__label" htmlFor={selectId}>
            Provider
          </label>
          <select
            id={selectId}
            className="select select--block"
            value={provider}
            data-autofocus
            onChange={(event) => {
              if (isProviderId(event.target.value)) setProvider(event.target.value);
            }}
          >
            {catalogue.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.name}
              </option>
            ))}
          </select>
        </div>
        <TextField
          label="Name"
          name="name"
          optional
          maxLength={100}
          placeholder={`${info?.name ?? 'Provider'} production`}
          value={name}
          onChange={(event) => {
            setName(event.target.value);
          }}
          errors={errors.name}
        />
        <ProviderKeyField
          label="API key"
          provider={info}
          value={apiKey}
          onChange={setApiKey}
          errors={errors.apiKey}
          describeKey
        />
        <DialogActions>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Cancel
          </button>
          <button className="button button--primary" disabled={create.isPending}>
            {create.isPending ? 'Checking…' : 'Add key'}
          </button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

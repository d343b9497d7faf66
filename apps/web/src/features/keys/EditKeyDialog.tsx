import { UpdateApiKeyRequest, type ApiKeyResponse } from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { Dialog, DialogActions } from '../../components/Dialog';
import { Alert, Spinner } from '../../components/Feedback';
import { TextField } from '../../components/TextField';
import { useCurrentUser } from '../auth/auth-context';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  validateRequest,
  type FieldErrors,
} from '../auth/validation';
import { useScopeCatalogue, useUpdateApiKey } from './hooks';
import {
  limitValuesOf,
  scopesOf,
  toUpdatePlain,
  type LimitValues,
  type ScopeSelection,
} from './key-form';
import { LimitFields } from './LimitFields';
import { ScopePicker } from './ScopePicker';

export function EditKeyDialog({
  apiKey,
  onClose,
}: {
  apiKey: ApiKeyResponse;
  onClose: () => void;
}): ReactElement {
  const user = useCurrentUser();
  const catalogue = useScopeCatalogue();
  const save = useUpdateApiKey();
  const [name, setName] = useState(apiKey.name);
  const [description, setDescription] = useState(apiKey.description ?? '');
  const [scope, setScope] = useState<ScopeSelection>({
    mode: 'custom',
    preset: 'generate_only',
    scopes: apiKey.scopes,
  });
  const [limits, setLimits] = useState<LimitValues>(() => limitValuesOf(apiKey));
  const [errors, setErrors] = useState<FieldErrors>({});

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (!catalogue.data) return;
    const formElement = event.currentTarget;
    save.reset();
    const scopes = scopesOf(scope, catalogue.data);
    const plain = toUpdatePlain({ ...limits, name, description, scopes });
    const result = await validateRequest(UpdateApiKeyRequest, plain);
    const found: FieldErrors = result.ok ? {} : { ...result.errors };
    if (!name.trim()) found.name = ['Give the key a name.'];
    if (scopes.length === 0) found.scopes = ['Choose at least one scope.'];
    if (!result.ok || Object.keys(found).length > 0) {
      setErrors(found);
      focusFirstInvalid(formElement);
      return;
    }
    setErrors({});
    save.mutate(
      { id: apiKey.id, input: result.value },
      {
        onSuccess: onClose,
        onError: (error) => {
          if (error instanceof ApiError) setErrors(fieldErrorsFromApi(error.fieldErrors));
        },
      },
    );
  }

  return (
    <Dialog title={`Edit ${apiKey.name}`} onClose={onClose} size="large">
      {catalogue.isPending && <Spinner label="Loading scopes…" />}
      {catalogue.isError && (
        <Alert title="Could not load scopes">{errorMessage(catalogue.error)}</Alert>
      )}
      {catalogue.data && (
        <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
          {save.isError && Object.keys(errors).length === 0 && (
            <Alert title="Could not save the key">{errorMessage(save.error)}</Alert>
          )}
          <TextField
            label="Name"
            name="name"
            required
            data-autofocus
            maxLength={100}
            value={name}
            onChange={(event) => {
              setName(event.target.value);
            }}
            errors={errors.name}
          />
          <TextField
            label="Description"
            name="description"
            optional
            maxLength={500}
            value={description}
            onChange={(event) => {
              setDescription(event.target.value);
            }}
            errors={errors.description}
          />
          <ScopePicker
            catalogue={catalogue.data}
            isAdmin={user.role === 'admin'}
            value={scope}
            onChange={setScope}
            errors={errors.scopes}
          />
          <LimitFields
            values={limits}
            onChange={(patch) => {
              setLimits((current) => ({ ...current, ...patch }));
            }}
            errors={errors}
          />
          <DialogActions>
            <button type="button" className="button button--secondary" onClick={onClose}>
              Cancel
            </button>
            <button className="button button--primary" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : 'Save changes'}
            </button>
          </DialogActions>
        </form>
      )}
    </Dialog>
  );
}

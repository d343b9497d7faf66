import {
  CreateApiKeyRequest,
  MAX_KEY_LIFETIME_DAYS,
  type CreatedApiKeyResponse,
} from '@keyward/shared';
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
import { useCreateApiKey, useScopeCatalogue } from './hooks';
import { initialCreateForm, toCreatePlain, type CreateKeyForm, type ExpiryMode } from './key-form';
import { LimitFields } from './LimitFields';
import { ScopePicker } from './ScopePicker';

const EXPIRY_OPTIONS: { mode: ExpiryMode; label: string }[] = [
  { mode: 'never', label: 'Never' },
  { mode: 'days', label: 'In days' },
  { mode: 'date', label: 'On a date' },
];

interface GenerateKeyDialogProps {
  onClose: () => void;
  /** Receives the one response that holds the plaintext key. */
  onCreated: (created: CreatedApiKeyResponse) => void;
}

export function GenerateKeyDialog({ onClose, onCreated }: GenerateKeyDialogProps): ReactElement {
  const user = useCurrentUser();
  const catalogue = useScopeCatalogue();
  const create = useCreateApiKey();
  const [form, setForm] = useState<CreateKeyForm>(initialCreateForm);
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = (patch: Partial<CreateKeyForm>): void => {
    setForm((current) => ({ ...current, ...patch }));
  };

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const formElement = event.currentTarget;
    create.reset();
    const result = await validateRequest(CreateApiKeyRequest, toCreatePlain(form));
    const found: FieldErrors = result.ok ? {} : { ...result.errors };
    if (!form.name.trim()) found.name = ['Give the key a name.'];
    if (form.scope.mode === 'custom' && form.scope.scopes.length === 0) {
      found.scopes = ['Choose at least one scope.'];
    }
    if (!result.ok || Object.keys(found).length > 0) {
      setErrors(found);
      focusFirstInvalid(formElement);
      return;
    }
    setErrors({});
    try {
      const created = await create.mutateAsync(result.value);
      // Hand the key over and forget it here: the mutation must not keep a copy.
      create.reset();
      onCreated(created);
    } catch (error) {
      if (error instanceof ApiError) setErrors(fieldErrorsFromApi(error.fieldErrors));
    }
  }

  const formError = create.error && create.error.code !== 'validation_failed' ? create.error : null;
  const scopeErrors = errors.scopes ?? errors.preset;

  return (
    <Dialog
      title="Generate API key"
      description="The key is shown once, right after you create it."
      onClose={onClose}
      size="large"
    >
      {catalogue.isPending && <Spinner label="Loading scopes…" />}
      {catalogue.isError && (
        <Alert title="Could not load scopes">{errorMessage(catalogue.error)}</Alert>
      )}
      {catalogue.data && (
        <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
          {formError && <Alert title="Could not create the key">{errorMessage(formError)}</Alert>}
          {create.error?.code === 'validation_failed' && Object.keys(errors).length === 0 && (
            <Alert title="Could not create the key">{create.error.message}</Alert>
          )}
          <TextField
            label="Name"
            name="name"
            required
            data-autofocus
            maxLength={100}
            placeholder="Production backend"
            value={form.name}
            onChange={(event) => {
              update({ name: event.target.value });
            }}
            errors={errors.name}
          />
          <TextField
            label="Description"
            name="description"
            optional
            maxLength={500}
            placeholder="What uses this key"
            value={form.description}
            onChange={(event) => {
              update({ description: event.target.value });
            }}
            errors={errors.description}
          />
          <ScopePicker
            catalogue={catalogue.data}
            isAdmin={user.role === 'admin'}
            value={form.scope}
            onChange={(scope) => {
              update({ scope });
            }}
            errors={scopeErrors}
          />
          <fieldset className="fieldset">
            <legend className="fieldset__legend">Expires</legend>
            <div className="segmented" role="radiogroup" aria-label="Expiry">
              {EXPIRY_OPTIONS.map(({ mode, label }) => (
                <label key={mode} className="segmented__option">
                  <input
                    type="radio"
                    name="expiry"
                    checked={form.expiry === mode}
                    onChange={() => {
                      update({ expiry: mode });
                    }}
                  />
                  <span>{label}</span>
                </label>
              ))}
            </div>
            {form.expiry === 'days' && (
              <TextField
                label="Days until it expires"
                name="expiresInDays"
                type="number"
                inputMode="numeric"
                min={1}
                max={MAX_KEY_LIFETIME_DAYS}
                value={form.expiresInDays}
                onChange={(event) => {
                  update({ expiresInDays: event.target.value });
                }}
                errors={errors.expiresInDays}
              />
            )}
            {form.expiry === 'date' && (
              <TextField
                label="Expiry date"
                name="expiresOn"
                type="date"
                value={form.expiresOn}
                onChange={(event) => {
                  update({ expiresOn: event.target.value });
                }}
                errors={errors.expiresAt}
              />
            )}
          </fieldset>
          <LimitFields values={form} onChange={update} errors={errors} />
          <DialogActions>
            <button type="button" className="button button--secondary" onClick={onClose}>
              Cancel
            </button>
            <button className="button button--primary" disabled={create.isPending}>
              {create.isPending ? 'Generating…' : 'Generate key'}
            </button>
          </DialogActions>
        </form>
      )}
    </Dialog>
  );
}

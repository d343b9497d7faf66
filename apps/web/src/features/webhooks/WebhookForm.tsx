import { SetWebhookRequest } from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { Alert } from '../../components/Feedback';
import { TextField } from '../../components/TextField';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  validateRequest,
  type FieldErrors,
} from '../auth/validation';
import { hasSecret, useSetWebhook } from './hooks';

interface WebhookFormProps {
  /** The URL set now, or null. */
  current: string | null;
  /** Called with the signing secret of a new webhook, to be shown once. */
  onSaved: (secret: string) => void;
}

/** Sets or changes the webhook URL, checked by the API's own DTO rules before it is sent. */
export function WebhookForm({ current, onSaved }: WebhookFormProps): ReactElement {
  const save = useSetWebhook();
  const [url, setUrl] = useState(current ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const unchanged = url.trim() === (current ?? '');

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    save.reset();
    const result = await validateRequest(SetWebhookRequest, { url });
    if (!result.ok || url.trim() === '') {
      setErrors(
        url.trim() === ''
          ? { url: ['Enter the URL Keyward should POST notifications to.'] }
          : result.ok
            ? {}
            : result.errors,
      );
      focusFirstInvalid(form);
      return;
    }
    setErrors({});
    save.mutate(result.value.url, {
      onSuccess: (saved) => {
        if (hasSecret(saved)) onSaved(saved.secret);
      },
      onError: (error) => {
        if (error instanceof ApiError) setErrors(fieldErrorsFromApi(error.fieldErrors));
      },
    });
  }

  return (
    <form
      className="form"
      noValidate
      aria-label="Webhook URL"
      onSubmit={(event) => void handleSubmit(event)}
    >
      {save.isSuccess && !hasSecret(save.data) && (
        <Alert tone="success">URL changed. The signing secret stays the same.</Alert>
      )}
      {save.isError && Object.keys(errors).length === 0 && (
        <Alert title="Could not save the webhook">{errorMessage(save.error)}</Alert>
      )}
      <TextField
        label="Endpoint URL"
        name="url"
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://example.com/hooks/keyward"
        maxLength={2000}
        value={url}
        onChange={(event) => {
          setUrl(event.target.value);
        }}
        errors={errors.url}
        hint="http or https. Changing it later keeps the signing secret."
      />
      <div className="settings-card__actions">
        <button className="button button--primary" disabled={save.isPending || unchanged}>
          {save.isPending ? 'Saving…' : current ? 'Change URL' : 'Set webhook'}
        </button>
      </div>
    </form>
  );
}

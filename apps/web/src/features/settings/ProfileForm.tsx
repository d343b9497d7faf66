import { UpdateProfileRequest } from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { Alert } from '../../components/Feedback';
import { TextField } from '../../components/TextField';
import { useCurrentUser } from '../auth/auth-context';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  validateRequest,
  type FieldErrors,
} from '../auth/validation';
import { useUpdateProfile } from './hooks';

export function ProfileForm(): ReactElement {
  const user = useCurrentUser();
  const save = useUpdateProfile();
  const [name, setName] = useState(user.name ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const unchanged = name.trim() === (user.name ?? '');

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const formElement = event.currentTarget;
    save.reset();
    const result = await validateRequest(UpdateProfileRequest, { name: name.trim() });
    const found: FieldErrors = result.ok ? {} : { ...result.errors };
    if (!name.trim()) found.name = ['Enter your name.'];
    if (!result.ok || Object.keys(found).length > 0) {
      setErrors(found);
      focusFirstInvalid(formElement);
      return;
    }
    setErrors({});
    save.mutate(result.value, {
      onSuccess: (body) => {
        setName(body.user.name ?? '');
      },
      onError: (error) => {
        if (error instanceof ApiError) setErrors(fieldErrorsFromApi(error.fieldErrors));
      },
    });
  }

  return (
    <section className="card settings-card" aria-labelledby="profile-heading">
      <header className="settings-card__header">
        <h2 id="profile-heading" className="card__title">
          Profile
        </h2>
        <p className="settings-card__description">How you appear in the console.</p>
      </header>
      <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
        {save.isError && Object.keys(errors).length === 0 && (
          <Alert title="Could not save your profile">{errorMessage(save.error)}</Alert>
        )}
        {save.isSuccess && <Alert tone="success">Your name was saved.</Alert>}
        <div className="field">
          <span className="field__label">Email</span>
          <p className="settings-readonly" data-testid="settings-email">
            {user.email}
            <span className="badge badge--neutral">{user.role}</span>
          </p>
        </div>
        <TextField
          label="Name"
          name="name"
          autoComplete="name"
          maxLength={100}
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            if (save.isSuccess) save.reset();
          }}
          errors={errors.name}
        />
        <div className="settings-card__actions">
          <button className="button button--primary" disabled={save.isPending || unchanged}>
            {save.isPending ? 'Saving…' : 'Save name'}
          </button>
        </div>
      </form>
    </section>
  );
}

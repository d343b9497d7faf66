import { ChangePasswordRequest, PASSWORD_MIN_LENGTH } from '@keyward/shared';
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
import { useChangePassword } from './hooks';

interface PasswordValues {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}

const EMPTY: PasswordValues = { currentPassword: '', newPassword: '', confirmPassword: '' };

/** Errors the API ties to one field: show them beside it, in the API's own words. */
function fieldErrorsOf(error: ApiError): FieldErrors {
  if (error.code === 'invalid_credentials') return { currentPassword: [error.message] };
  if (error.code === 'weak_password') return { newPassword: [error.message] };
  return fieldErrorsFromApi(error.fieldErrors);
}

export function PasswordForm(): ReactElement {
  const user = useCurrentUser();
  const change = useChangePassword();
  const [values, setValues] = useState<PasswordValues>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = (patch: Partial<PasswordValues>): void => {
    setValues((current) => ({ ...current, ...patch }));
    if (change.isSuccess) change.reset();
  };

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const formElement = event.currentTarget;
    change.reset();
    const { currentPassword, newPassword, confirmPassword } = values;
    const result = await validateRequest(ChangePasswordRequest, { currentPassword, newPassword });
    const found: FieldErrors = result.ok ? {} : { ...result.errors };
    if (currentPassword === '') found.currentPassword = ['Enter your current password.'];
    if (newPassword === '') found.newPassword = ['Enter a new password.'];
    else if (newPassword === currentPassword) {
      found.newPassword = ['The new password must differ from the current one.'];
    }
    if (confirmPassword === '') found.confirmPassword = ['Enter the new password again.'];
    else if (confirmPassword !== newPassword) {
      found.confirmPassword = ['The passwords do not match.'];
    }
    if (!result.ok || Object.keys(found).length > 0) {
      setErrors(found);
      focusFirstInvalid(formElement);
      return;
    }
    setErrors({});
    change.mutate(result.value, {
      onSuccess: () => {
        setValues(EMPTY);
      },
      onError: (error) => {
        if (error instanceof ApiError) {
          setErrors(fieldErrorsOf(error));
          focusFirstInvalid(formElement);
        }
      },
    });
  }

  return (
    <section className="card settings-card" aria-labelledby="password-heading">
      <header className="settings-card__header">
        <h2 id="password-heading" className="card__title">
          Change password
        </h2>
        <p className="settings-card__description">
          You stay signed in here; every other session of your account is signed out.
        </p>
      </header>
      <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
        {change.isError && Object.keys(errors).length === 0 && (
          <Alert title="Could not change your password">{errorMessage(change.error)}</Alert>
        )}
        {change.isSuccess && (
          <Alert tone="success" title="Password changed">
            Use the new password next time you sign in. Your other sessions were signed out.
          </Alert>
        )}
        {/* Lets password managers file the new password under the right account. */}
        <input
          type="text"
          name="username"
          autoComplete="username"
          value={user.email}
          readOnly
          hidden
        />
        <TextField
          label="Current password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          value={values.currentPassword}
          onChange={(event) => {
            update({ currentPassword: event.target.value });
          }}
          errors={errors.currentPassword}
        />
        <TextField
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          value={values.newPassword}
          onChange={(event) => {
            update({ newPassword: event.target.value });
          }}
          errors={errors.newPassword}
        />
        <TextField
          label="Confirm new password"
          name="confirmPassword"
          type="password"
          autoComplete="new-password"
          value={values.confirmPassword}
          onChange={(event) => {
            update({ confirmPassword: event.target.value });
          }}
          errors={errors.confirmPassword}
        />
        <div className="settings-card__actions">
          <button className="button button--primary" disabled={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}

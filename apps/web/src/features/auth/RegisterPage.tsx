import { PASSWORD_MIN_LENGTH, RegisterRequest } from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { Alert, FullPageLoader } from '../../components/Feedback';
import { TextField } from '../../components/TextField';
import { useSession } from './auth-context';
import { AuthLayout } from './AuthLayout';
import { useRegister } from './hooks';
import type { AuthLocationState } from './location-state';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  requireFilled,
  validateRequest,
  type FieldErrors,
} from './validation';

export default function RegisterPage(): ReactElement {
  useDocumentTitle('Create account');
  const session = useSession();
  const navigate = useNavigate();
  const register = useRegister();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});

  if (session.status === 'unknown') return <FullPageLoader />;
  if (session.status === 'authenticated') return <Navigate to="/" replace />;

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    register.reset();
    const trimmedName = name.trim();
    const result = await validateRequest(RegisterRequest, {
      email,
      password,
      // The name is optional: an empty box means "no name", not an empty one.
      ...(trimmedName ? { name: trimmedName } : {}),
    });
    if (!result.ok) {
      setFieldErrors(
        requireFilled(result.errors, { email, password }, { email: 'email', password: 'password' }),
      );
      focusFirstInvalid(form);
      return;
    }
    setFieldErrors({});
    register.mutate(result.value, {
      onSuccess: ({ user }) => {
        const state: AuthLocationState = { registeredEmail: user.email };
        void navigate('/login', { state });
      },
      onError: (error) => {
        if (!(error instanceof ApiError)) return;
        if (error.code === 'email_taken') setFieldErrors({ email: [errorMessage(error)] });
        else setFieldErrors(fieldErrorsFromApi(error.fieldErrors));
      },
    });
  }

  const formError =
    register.error && !['validation_failed', 'email_taken'].includes(register.error.code)
      ? register.error
      : null;

  return (
    <AuthLayout
      title="Create your account"
      subtitle="Issue API keys and keep provider credentials in one vault."
      footer={
        <>
          Already have an account? <Link to="/login">Sign in</Link>
        </>
      }
    >
      {formError && <Alert title="Could not create the account">{errorMessage(formError)}</Alert>}
      <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          inputMode="email"
          required
          value={email}
          onChange={(event) => {
            setEmail(event.target.value);
          }}
          errors={fieldErrors.email}
        />
        <TextField
          label="Name"
          name="name"
          autoComplete="name"
          optional
          value={name}
          onChange={(event) => {
            setName(event.target.value);
          }}
          errors={fieldErrors.name}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
          }}
          errors={fieldErrors.password}
        />
        <button className="button button--primary button--block" disabled={register.isPending}>
          {register.isPending ? 'Creating account…' : 'Create account'}
        </button>
      </form>
    </AuthLayout>
  );
}

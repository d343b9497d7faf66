import { LoginRequest } from '@keyward/shared';
import { useState, type ReactElement, type SubmitEvent } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/messages';
import { Alert, FullPageLoader } from '../../components/Feedback';
import { TextField } from '../../components/TextField';
import { useDocumentTitle } from '../../app/useDocumentTitle';
import { useSession } from './auth-context';
import { AuthLayout } from './AuthLayout';
import { useLogin } from './hooks';
import { readAuthState } from './location-state';
import {
  fieldErrorsFromApi,
  focusFirstInvalid,
  requireFilled,
  validateRequest,
  type FieldErrors,
} from './validation';

export default function LoginPage(): ReactElement {
  useDocumentTitle('Sign in');
  const session = useSession();
  const location = useLocation();
  const state = readAuthState(location.state);
  const { from, registeredEmail } = state;
  // Either the navigation said so or the session does: whichever of the sign-out's own redirect
  // and the guard's wins the race, the notice is shown.
  const signedOut =
    state.signedOut || (session.status === 'anonymous' && session.signedOut === true);
  const login = useLogin();
  const [email, setEmail] = useState(registeredEmail ?? '');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});

  if (session.status === 'unknown') return <FullPageLoader />;
  if (session.status === 'authenticated') return <Navigate to={from ?? '/'} replace />;

  async function handleSubmit(event: SubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    login.reset();
    const result = await validateRequest(LoginRequest, { email, password });
    if (!result.ok) {
      setFieldErrors(
        requireFilled(result.errors, { email, password }, { email: 'email', password: 'password' }),
      );
      focusFirstInvalid(form);
      return;
    }
    setFieldErrors({});
    login.mutate(result.value, {
      onError: (error) => {
        if (error instanceof ApiError) setFieldErrors(fieldErrorsFromApi(error.fieldErrors));
      },
    });
  }

  const formError = login.error && login.error.code !== 'validation_failed' ? login.error : null;

  return (
    <AuthLayout
      title="Sign in to Keyward"
      subtitle="Manage API keys, provider credentials and usage."
      footer={
        <>
          New to Keyward? <Link to="/register">Create an account</Link>
        </>
      }
    >
      {registeredEmail && !login.isError && (
        <Alert tone="success">Your account is ready. Sign in to continue.</Alert>
      )}
      {signedOut && !registeredEmail && !login.isError && (
        <Alert tone="info">You have signed out.</Alert>
      )}
      {formError && <Alert title="Could not sign in">{errorMessage(formError)}</Alert>}
      <form className="form" noValidate onSubmit={(event) => void handleSubmit(event)}>
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          inputMode="email"
          required
          value={email}
          onChange={(event) => {
            setEmail(event.target.value);
          }}
          errors={fieldErrors.email}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => {
            setPassword(event.target.value);
          }}
          errors={fieldErrors.password}
        />
        <button className="button button--primary button--block" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}

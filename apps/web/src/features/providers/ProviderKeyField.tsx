import type { ProviderInfo } from '@keyward/shared';
import type { ReactElement } from 'react';
import { TextField } from '../../components/TextField';
import { keyHintWarning } from './key-hint';

interface ProviderKeyFieldProps {
  label: string;
  provider: ProviderInfo | undefined;
  value: string;
  onChange: (value: string) => void;
  errors: string[] | undefined;
  /** Shows the provider's key description while the key looks right. */
  describeKey?: boolean;
  autoFocus?: boolean;
}

/**
 * A provider secret as a password field, with a soft warning when it does not look like the
 * provider's keys (the server checks it with the provider either way).
 */
export function ProviderKeyField({
  label,
  provider,
  value,
  onChange,
  errors,
  describeKey = false,
  autoFocus = false,
}: ProviderKeyFieldProps): ReactElement {
  const warning = keyHintWarning(provider, value);
  return (
    <div className="field">
      <TextField
        label={label}
        name="apiKey"
        type="password"
        autoComplete="off"
        spellCheck={false}
        {...(autoFocus ? { 'data-autofocus': true } : {})}
        placeholder={provider?.keyHint.example}
        hint={describeKey && !warning ? provider?.keyHint.description : undefined}
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
        errors={errors}
      />
      {warning && (
        <p className="field__warning" role="status">
          {warning}
        </p>
      )}
    </div>
  );
}
